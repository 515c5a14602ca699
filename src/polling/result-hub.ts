// In-process fan-out of final results: the notify route (or the wake-up, an admin override, a
// cancel) publishes the order it finalized, and the poller resolves every awaitPaymentResult
// waiting on that order at once, not at its next tick. One listener for all orders, not one
// subscription per order: the poller looks the order up in its own map.
import type { PaymentOrderRecord } from '../store/prisma-types.js'

type Listener = (order: PaymentOrderRecord) => void

export class ResultHub {
  readonly #listeners: Listener[] = []

  /** Calls `listener` with every order published from now on. */
  listen(listener: Listener): void {
    this.#listeners.push(listener)
  }

  publish(order: PaymentOrderRecord): void {
    for (const listener of this.#listeners) listener(order)
  }
}
