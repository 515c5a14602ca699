// What a cross-instance wake-up channel does: tell the other instances which order this one
// finalized, and tell us which orders they finalized. A channel only carries hints: the
// receiver reads the order from the database before waking anyone, so a forged, repeated or
// lost message can never change a result, only how soon a waiter learns it.

/** TCP keep-alive probes start after this idle time: the kernel's own check, under the heartbeat. */
export const KEEPALIVE_DELAY_MS = 10_000
/** close() gives the batch in flight and a polite goodbye this long, then destroys the sockets. */
export const CLOSE_GRACE_MS = 1_000

export interface WakeListener {
  /** A message from the channel (see encodeWakeMessage). */
  message(text: string): void
  /** The channel was down and is back: messages sent meanwhile are lost, so look again. */
  resync(): void
}

/**
 * - connecting: start() has not connected yet;
 * - connected: listening, and able to send;
 * - reconnecting: a connection was lost or silent (missed heartbeat) and is being opened again;
 *   messages wait in the outbox meanwhile, and awaited orders are looked up once it is back;
 * - closed: close() was called.
 */
export type WakeChannelState = 'connecting' | 'connected' | 'reconnecting' | 'closed'

/** A snapshot of a channel's health, for a health check or a dashboard. */
export interface WakeChannelStats {
  kind: 'postgres' | 'redis'
  state: WakeChannelState
  /** When this instance last heard its own heartbeat back; null before the first. */
  lastHeartbeatAt: Date | null
  /** Heartbeats not heard back within timeoutMs (each dropped a silent connection). */
  heartbeatsMissed: number
  /** Connections lost (closed, failed or silent) and opened again. */
  reconnects: number
  /** Messages waiting to be sent (at most maxPending). */
  pending: number
  /** The batch on the wire, not yet acknowledged (at most 1000 messages). */
  inFlight: number
  /** Messages dropped because pending was at maxPending. */
  dropped: number
  /** Messages the server accepted. */
  sent: number
  /** Wake-up messages received (heartbeats excluded), from any instance, forged ones included. */
  received: number
}

export interface WakeChannel {
  /** Connects and subscribes; rejects, naming the option, if the first connection fails. */
  start(listener: WakeListener): Promise<void>
  /** Fire and forget; a message that cannot be sent is logged and left to the receivers' polling. */
  publish(text: string): void
  /** Resolves in bounded time whatever the connections' state: a stalled socket is destroyed. */
  close(): Promise<void>
  stats(): WakeChannelStats
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

/** What a channel's stats are read from: the same parts in both channels. */
export interface ChannelCounters {
  state: WakeChannelState
  heartbeat: { readonly lastAt: Date | null; readonly missed: number }
  outbox: { readonly size: number; readonly dropped: number }
  sender: { readonly inFlight: number; readonly sent: number }
  reconnects: number
  received: number
}

export function channelStats(kind: WakeChannelStats['kind'], c: ChannelCounters): WakeChannelStats {
  return {
    kind,
    state: c.state,
    lastHeartbeatAt: c.heartbeat.lastAt,
    heartbeatsMissed: c.heartbeat.missed,
    reconnects: c.reconnects,
    pending: c.outbox.size,
    inFlight: c.sender.inFlight,
    dropped: c.outbox.dropped,
    sent: c.sender.sent,
    received: c.received,
  }
}
