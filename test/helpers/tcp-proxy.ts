// A TCP proxy in front of a server (PostgreSQL, MariaDB, Redis) that a test controls, for real
// outages:
// - cut() drops every open connection and refuses new ones; restore() accepts them again;
// - stall() black-holes the path: no byte goes through in either direction, but connections
//   stay open (no FIN, no RST), as behind a dead NAT entry or a silent firewall; new
//   connections are accepted and stalled too;
// - restore() after a stall forwards NEW connections again; those stalled stay stalled for good,
//   as a connection whose path died does;
// - resume() heals the partition instead: every stalled connection gets what was held back, in
//   order, and forwards again, as TCP does once a partition heals.
import net from 'node:net'

export interface TcpProxy {
  port: number
  /** Connections accepted since the proxy started. */
  readonly accepted: number
  cut(): void
  stall(): void
  restore(): void
  resume(): void
  close(): Promise<void>
}

interface Pair {
  stalled: boolean
  /** Bytes held back while stalled, in order, with the socket they were going to. */
  held: Array<{ to: net.Socket; chunk: Buffer }>
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: 'up' | 'cut' | 'stalled' = 'up'
  let accepted = 0
  const sockets = new Set<net.Socket>()
  const pairs = new Set<Pair>()
  const forward = (pair: Pair, from: net.Socket, to: net.Socket) =>
    from.on('data', (chunk: Buffer) => {
      if (pair.stalled) pair.held.push({ to, chunk })
      else to.write(chunk)
    })
  const server = net.createServer((client) => {
    if (mode === 'cut') {
      client.destroy()
      return
    }
    accepted++
    const upstream = net.connect(target.port, target.host)
    const pair: Pair = { stalled: mode === 'stalled', held: [] }
    pairs.add(pair)
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
    forward(pair, client, upstream)
    forward(pair, upstream, client)
    client.on('end', () => upstream.end())
    upstream.on('end', () => client.end())
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
      for (const pair of pairs) pair.stalled = true
    },
    restore() {
      mode = 'up'
    },
    resume() {
      mode = 'up'
      for (const pair of pairs) {
        pair.stalled = false
        for (const { to, chunk } of pair.held.splice(0)) if (!to.destroyed) to.write(chunk)
      }
    },
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * The URL of `databaseUrl`'s server reached through a new proxy (closed at teardown): a second
 * client opened on it shares the database while the test controls its network.
 */
export async function proxiedUrl(
  t: { teardown(fn: () => unknown): void },
  databaseUrl: string,
): Promise<{ proxy: TcpProxy; url: string }> {
  const target = new URL(databaseUrl)
  const defaultPort = target.protocol.startsWith('postgres') ? 5432 : 3306
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || defaultPort) })
  t.teardown(() => proxy.close())
  const url = new URL(databaseUrl)
  url.port = String(proxy.port)
  return { proxy, url: url.toString() }
}
