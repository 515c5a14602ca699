// Proves a channel's connections alive: every interval the channel sends itself a message and
// must hear it back within the timeout, else the connection is silent (a black-holed TCP path
// sends no FIN or RST, so nothing else would tell) and is dropped and opened again. A LISTEN or
// SUBSCRIBE connection that only listens would otherwise stay dead unnoticed for hours.
import { randomUUID } from 'node:crypto'

const PREFIX = 'heartbeat\n'

/** A heartbeat, from any instance: never a wake-up message (see wake-channel.ts). */
export function isHeartbeat(text: string): boolean {
  return text.startsWith(PREFIX)
}

export interface HeartbeatOptions {
  intervalMs: number
  timeoutMs: number
  /** Sends the text through the channel to itself; false when there is no connection to prove. */
  send(text: string): boolean
  /** No answer within the timeout: drop the connection and open another. */
  silent(): void
}

export class Heartbeat {
  readonly #options: HeartbeatOptions
  readonly #id = `${PREFIX}${randomUUID()}\n`
  #sequence = 0
  #awaited: string | undefined
  #deadline: NodeJS.Timeout | undefined
  #interval: NodeJS.Timeout | undefined
  #lastAt: Date | null = null
  #missed = 0

  constructor(options: HeartbeatOptions) {
    this.#options = options
  }

  /** When this instance last heard its own heartbeat. */
  get lastAt(): Date | null {
    return this.#lastAt
  }

  /** Heartbeats not heard back in time, each of which dropped a connection. */
  get missed(): number {
    return this.#missed
  }

  start(): void {
    this.#interval = setInterval(() => this.#beat(), this.#options.intervalMs)
    // The channel's connections keep the process alive, not its heartbeat.
    this.#interval.unref()
  }

  stop(): void {
    clearInterval(this.#interval)
    this.reset()
  }

  /** A new connection: the heartbeat awaited on the old one no longer counts. */
  reset(): void {
    clearTimeout(this.#deadline)
    this.#awaited = undefined
  }

  /** A heartbeat arrived; true if it is one (then it is not a wake-up message). */
  received(text: string): boolean {
    if (!isHeartbeat(text)) return false
    if (text === this.#awaited) {
      this.reset()
      this.#lastAt = new Date()
    }
    return true
  }

  #beat(): void {
    if (this.#awaited !== undefined) return
    const text = `${this.#id}${++this.#sequence}`
    this.#awaited = text
    // Armed before the send, so that it fires before the statement's own timeout of the same length.
    this.#deadline = setTimeout(() => {
      this.#awaited = undefined
      this.#missed++
      this.#options.silent()
    }, this.#options.timeoutMs)
    this.#deadline.unref()
    if (!this.#options.send(text)) this.reset()
  }
}
