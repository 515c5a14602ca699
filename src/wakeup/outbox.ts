// Messages a channel has not sent yet: those published while its connection is down or busy
// with the statement in flight. Without them, an instance that reconnected (and resynced) before
// the sender did would learn of those results only at its next polling tick. Bounded, so that a
// connection stalled for hours costs a fixed amount of memory: past the cap the oldest are
// dropped, counted and logged; the receivers' polling ticks still find those results.
import type { FastifyBaseLogger } from 'fastify'

export class Outbox {
  readonly limit: number
  readonly #log: FastifyBaseLogger
  // A ring: dropping the oldest at the cap costs O(1), where Array#shift would copy the lot.
  readonly #ring: Array<string | undefined>
  #head = 0
  #size = 0
  #droppedTotal = 0
  /** Dropped since the outbox was last emptied: the warning is logged once per episode. */
  #droppedNow = 0

  constructor(limit: number, log: FastifyBaseLogger) {
    this.limit = limit
    this.#log = log
    this.#ring = []
  }

  get size(): number {
    return this.#size
  }

  /** Every message dropped at the cap since the channel started. */
  get dropped(): number {
    return this.#droppedTotal
  }

  hold(text: string): void {
    if (this.#size < this.limit) {
      this.#ring[(this.#head + this.#size++) % this.limit] = text
      return
    }
    this.#ring[this.#head] = text
    this.#head = (this.#head + 1) % this.limit
    this.#droppedTotal++
    if (this.#droppedNow++ === 0) {
      this.#log.warn({ limit: this.limit }, 'alipayplus wakeup: too many wake-up messages waiting; oldest dropped (waiters fall back to polling)')
    }
  }

  /** Up to `max` messages, oldest first, removed from the outbox. */
  take(max: number): string[] {
    const count = Math.min(max, this.#size)
    const taken: string[] = []
    for (let i = 0; i < count; i++) {
      const at = (this.#head + i) % this.limit
      taken.push(this.#ring[at]!)
      this.#ring[at] = undefined
    }
    this.#head = (this.#head + count) % this.limit
    this.#size -= count
    if (this.#size === 0 && this.#droppedNow > 0) {
      this.#log.warn({ dropped: this.#droppedNow }, 'alipayplus wakeup: wake-up messages were dropped while they could not be sent')
      this.#droppedNow = 0
    }
    return taken
  }
}
