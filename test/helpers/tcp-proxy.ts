// A TCP proxy in front of a database that a test can cut, stall and restore, for real outages:
// cut() drops every open connection and refuses new ones; restore() accepts them again.
// stall() is a black hole without FIN or RST: connections stay open (new ones are accepted)
// but no byte goes through in either direction until resume(), which delivers what was held,
// as TCP does once a partition heals.
import net from 'node:net'

export interface TcpProxy {
  port: number
  cut(): void
  restore(): void
  stall(): void
  resume(): void
  close(): Promise<void>
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let up = true
  let stalled = false
  const sockets = new Set<net.Socket>()
  // Bytes held back while stalled, in order, per destination socket.
  const held: Array<{ to: net.Socket; chunk: Buffer }> = []
  const forward = (from: net.Socket, to: net.Socket) =>
    from.on('data', (chunk: Buffer) => {
      if (stalled) held.push({ to, chunk })
      else to.write(chunk)
    })
  const server = net.createServer((client) => {
    if (!up) {
      client.destroy()
      return
    }
    const upstream = net.connect(target.port, target.host)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    forward(client, upstream)
    forward(upstream, client)
    client.on('end', () => upstream.end())
    upstream.on('end', () => client.end())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    cut() {
      up = false
      held.length = 0
      for (const socket of sockets) socket.destroy()
    },
    restore() {
      up = true
    },
    stall() {
      stalled = true
    },
    resume() {
      stalled = false
      for (const { to, chunk } of held.splice(0)) if (!to.destroyed) to.write(chunk)
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
