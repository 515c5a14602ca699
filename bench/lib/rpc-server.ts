// Child side of a benchmark child process: answers the parent's calls over IPC, and on
// "shutdown" (or when the parent goes away) closes what it opened and exits.

export type RpcMessage =
  | { type: 'ready' }
  | { type: 'call'; id: number; method: string; args: unknown[] }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: string }

export type Handlers = Record<string, (...args: any[]) => unknown>

export function serveRpc(handlers: Handlers, shutdown: () => Promise<void>): void {
  if (!process.send) throw new Error('this script runs as a child of a benchmark (no IPC channel)')
  const send = (message: RpcMessage, then?: () => void) => {
    if (process.connected) process.send!(message, undefined, {}, () => then?.())
    else then?.()
  }
  let closing: Promise<void> | undefined
  const close = () => (closing ??= shutdown().catch((error: unknown) => console.error('child shutdown failed:', error)))

  process.on('message', async (message: RpcMessage) => {
    if (message.type !== 'call') return
    if (message.method === 'shutdown') {
      await close()
      send({ type: 'reply', id: message.id, ok: true, value: null }, () => {
        process.disconnect()
        process.exit(0)
      })
      return
    }
    const handler = handlers[message.method]
    try {
      if (!handler) throw new Error(`no handler "${message.method}"`)
      const value = await handler(...message.args)
      send({ type: 'reply', id: message.id, ok: true, value })
    } catch (error) {
      send({ type: 'reply', id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
    }
  })
  // The parent died or went away without a shutdown: do not linger.
  process.on('disconnect', () => void close().finally(() => process.exit(0)))
  send({ type: 'ready' })
}
