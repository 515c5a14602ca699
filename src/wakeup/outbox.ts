// Messages a channel could not send while its connection was down, sent once it is back. Without
// them, an instance that reconnected (and resynced) before the sender did would learn of those
// results only at its next polling tick. Bounded: past the cap the oldest are dropped, and the
// receivers' ticks still find those results.
import type { FastifyBaseLogger } from 'fastify'

export const OUTBOX_LIMIT = 10_000

export class Outbox {
  readonly #messages: string[] = []
  readonly #log: FastifyBaseLogger
  #dropped = 0

  constructor(log: FastifyBaseLogger) {
    this.#log = log
  }

  hold(text: string): void {
    this.#messages.push(text)
    if (this.#messages.length > OUTBOX_LIMIT) {
      this.#messages.shift()
      if (this.#dropped++ === 0) this.#log.warn({ limit: OUTBOX_LIMIT }, 'alipayplus wakeup: channel down too long; oldest wake-up messages dropped (waiters fall back to polling)')
    }
  }

  /** Everything held, oldest first; the outbox is empty afterwards. */
  take(): string[] {
    this.#dropped = 0
    return this.#messages.splice(0)
  }
}
