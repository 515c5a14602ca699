// What a cross-instance wake-up channel does: tell the other instances which order this one
// finalized, and tell us which orders they finalized. A channel only carries hints: the
// receiver reads the order from the database before waking anyone, so a forged, repeated or
// lost message can never change a result, only how soon a waiter learns it.

export interface WakeListener {
  /** A message from the channel (see encodeWakeMessage). */
  message(text: string): void
  /** The channel was down and is back: messages sent meanwhile are lost, so look again. */
  resync(): void
}

export interface WakeChannel {
  /** Connects and subscribes; rejects, naming the option, if the first connection fails. */
  start(listener: WakeListener): Promise<void>
  /** Fire and forget; a message that cannot be sent is logged and left to the receivers' polling. */
  publish(text: string): void
  close(): Promise<void>
}

/**
 * `<instance>\n<orderNo>`: the sender's id, so that an instance ignores its own messages, then
 * the order. An orderNo never holds a control character (assertOrderNo), so the first newline
 * is the separator.
 */
export function encodeWakeMessage(instanceId: string, orderNo: string): string {
  return `${instanceId}\n${orderNo}`
}

export function decodeWakeMessage(text: string): { instanceId: string; orderNo: string } | null {
  const separator = text.indexOf('\n')
  if (separator <= 0 || separator === text.length - 1) return null
  return { instanceId: text.slice(0, separator), orderNo: text.slice(separator + 1) }
}
