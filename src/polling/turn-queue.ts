// Orders waiting for a turn at Alipay+ behind other orders. Ten thousand awaited orders cannot
// all inquire at once (maxConcurrentInquiries, maxInquiriesPerSecond), so most of them wait for
// their turn most of the time; here each waits as one reference in a FIFO lane, not as a
// suspended p-retry run with a queued tick. The queue asks the limiter for one slot at a time
// and gives each slot it gets to the next order, foreground (someone awaits it) before
// background (only the reconciler does); cancels queue in the limiter beside it as before.
import type { InquiryLimiter, StartCall } from './inquiry-limiter.js'
import type { PolledOrder } from './polled-order.js'
import type { Lane } from './poller-types.js'
import type { CurrentLane } from './wait-queue.js'

/** A FIFO of orders; a taken entry is only cleared, so push and shift are O(1). */
class Fifo {
  #items: Array<PolledOrder | undefined> = []
  #head = 0

  push(order: PolledOrder): void {
    this.#items.push(order)
  }

  shift(): PolledOrder | undefined {
    while (this.#head < this.#items.length) {
      const order = this.#items[this.#head]
      this.#items[this.#head++] = undefined
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head)
        this.#head = 0
      }
      if (order !== undefined) return order
    }
    return undefined
  }
}

export class TurnQueue implements CurrentLane {
  readonly #limiter: InquiryLimiter
  readonly #closing: AbortSignal
  readonly #onTurn: (order: PolledOrder, start: StartCall) => Promise<void>
  readonly #foreground = new Fifo()
  readonly #background = new Fifo()
  /** Orders parked, and those of them in the foreground lane (stale lane entries not counted). */
  #size = 0
  #foregroundSize = 0
  #asking = false

  /**
   * `onTurn` runs inside the limiter's slot with a parked order (already taken out of the
   * queue); the slot is given back when its promise settles.
   */
  constructor(limiter: InquiryLimiter, closing: AbortSignal, onTurn: (order: PolledOrder, start: StartCall) => Promise<void>) {
    this.#limiter = limiter
    this.#closing = closing
    this.#onTurn = onTurn
  }

  get size(): number {
    return this.#size
  }

  /** Read by the limiter at each grant: the queue's slot request is foreground while a foreground order waits. */
  get foreground(): boolean {
    return this.#foregroundSize > 0
  }

  /** Whether a tick may take a slot at once without passing an order parked before it. */
  mayGoNow(): boolean {
    return this.#size === 0 && this.#limiter.hasFreeSlot
  }

  park(order: PolledOrder): void {
    order.state = 'parked'
    this.#enter(order, order.foreground ? 'foreground' : 'background')
    this.#ask()
  }

  /** A parked order's first application waiter arrived: it moves to the foreground lane (its old entry goes stale). */
  promote(order: PolledOrder): void {
    if (order.queued !== 'background') return
    this.#leave(order)
    this.#enter(order, 'foreground')
  }

  /** Takes an order out of the queue (its polling ended while parked). */
  remove(order: PolledOrder): void {
    if (order.queued !== null) this.#leave(order)
  }

  #enter(order: PolledOrder, lane: Lane): void {
    order.queued = lane
    this.#size++
    if (lane === 'foreground') {
      this.#foregroundSize++
      this.#foreground.push(order)
    } else this.#background.push(order)
  }

  #leave(order: PolledOrder): void {
    if (order.queued === 'foreground') this.#foregroundSize--
    order.queued = null
    this.#size--
  }

  #next(): PolledOrder | undefined {
    for (let order = this.#foreground.shift(); order !== undefined; order = this.#foreground.shift()) {
      if (order.queued === 'foreground') return this.#taken(order)
    }
    for (let order = this.#background.shift(); order !== undefined; order = this.#background.shift()) {
      if (order.queued === 'background') return this.#taken(order)
    }
    return undefined
  }

  #taken(order: PolledOrder): PolledOrder {
    this.#leave(order)
    return order
  }

  /** One slot request at a time in the limiter's queue; each grant asks for the next. */
  #ask(): void {
    if (this.#asking || this.#size === 0 || this.#closing.aborted) return
    this.#asking = true
    this.#limiter
      .run(
        async (start) => {
          this.#asking = false
          const order = this.#next()
          this.#ask()
          if (order !== undefined) await this.#onTurn(order, start)
        },
        { signal: this.#closing, lane: this },
      )
      .catch(() => {
        // Only close() ends a request (onTurn never rejects): nothing is left to ask for.
        this.#asking = false
      })
  }
}
