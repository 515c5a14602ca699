// A TCP proxy in front of PostgreSQL (or any server) that a test can cut, stall and restore, for
// real outages: cut() drops every open connection and refuses new ones; stall() is a black
// hole (no FIN, no RST: bytes are simply no longer forwarded either way, new connections are
// accepted and left hanging); restore() forwards again, what a stall held back included.
import net from 'node:net'

export interface TcpProxy {
  port: number
  cut(): void
  stall(): void
  restore(): void
  close(): Promise<void>
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let state: 'up' | 'cut' | 'stalled' = 'up'
  const sockets = new Set<net.Socket>()
  // Connections accepted during a stall: connected upstream once the stall ends.
  let held: net.Socket[] = []

  const track = (socket: net.Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  }
  const forward = (client: net.Socket) => {
    const upstream = net.connect(target.port, target.host)
    track(upstream)
    for (const socket of [client, upstream]) {
      socket.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream).pipe(client)
    client.resume()
  }

  const server = net.createServer((client) => {
    if (state === 'cut') {
      client.destroy()
      return
    }
    track(client)
    if (state === 'stalled') {
      client.pause()
      client.on('error', () => client.destroy())
      held.push(client)
      return
    }
    forward(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    cut() {
      state = 'cut'
      held = []
      for (const socket of sockets) socket.destroy()
    },
    stall() {
      state = 'stalled'
      // Paused sockets stop reading: what either side sends waits in the kernel's buffers and
      // is never acknowledged by the other end, as behind a dead route.
      for (const socket of sockets) socket.pause()
    },
    restore() {
      const wasStalled = state === 'stalled'
      state = 'up'
      if (!wasStalled) return
      for (const socket of sockets) if (!socket.destroyed) socket.resume()
      for (const client of held.splice(0)) if (!client.destroyed) forward(client)
    },
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
