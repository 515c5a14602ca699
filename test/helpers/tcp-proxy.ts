// A TCP proxy in front of a server (PostgreSQL, Redis) that a test controls, for real outages:
// - cut() drops every open connection and refuses new ones; restore() accepts them again;
// - stall() black-holes the path: every connection stops forwarding bytes in both directions
//   but stays open (no FIN, no RST), as behind a dead NAT entry or a silent firewall; new
//   connections are accepted and stalled too. restore() forwards new connections again; those
//   stalled stay stalled for good, as a connection whose path died does.
import net from 'node:net'

export interface TcpProxy {
  port: number
  /** Connections accepted since the proxy started. */
  readonly accepted: number
  cut(): void
  stall(): void
  restore(): void
  close(): Promise<void>
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: 'up' | 'cut' | 'stalled' = 'up'
  let accepted = 0
  const sockets = new Set<net.Socket>()
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>()
  const stallPair = (pair: { client: net.Socket; upstream: net.Socket }) => {
    pair.client.unpipe(pair.upstream)
    pair.upstream.unpipe(pair.client)
    // Not reading: what the peers send stays in the kernel's buffers, then theirs; nothing ends.
    pair.client.pause()
    pair.upstream.pause()
    pairs.delete(pair)
  }
  const server = net.createServer((client) => {
    if (mode === 'cut') {
      client.destroy()
      return
    }
    accepted++
    const upstream = net.connect(target.port, target.host)
    const pair = { client, upstream }
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => {
        sockets.delete(socket)
        pairs.delete(pair)
      })
      socket.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    if (mode === 'stalled') {
      client.pause()
      return
    }
    pairs.add(pair)
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    get accepted() {
      return accepted
    },
    cut() {
      mode = 'cut'
      for (const socket of sockets) socket.destroy()
    },
    stall() {
      mode = 'stalled'
      for (const pair of [...pairs]) stallPair(pair)
    },
    restore() {
      mode = 'up'
    },
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
