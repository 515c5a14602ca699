// In-process fan-out of final results: the notify route publishes the order it finalized and
// every awaitPaymentResult waiting on that order resolves at once, not at its next tick.
import type { PaymentOrderRecord } from '../store/prisma-types.js'

type Listener = (order: PaymentOrderRecord) => void

export class ResultHub {
  readonly #listeners = new Map<string, Set<Listener>>()

  /** Calls `listener` once when `orderNo` is published. Returns the unsubscribe function. */
  subscribe(orderNo: string, listener: Listener): () => void {
    let set = this.#listeners.get(orderNo)
    if (!set) this.#listeners.set(orderNo, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0 && this.#listeners.get(orderNo) === set) this.#listeners.delete(orderNo)
    }
  }

  publish(order: PaymentOrderRecord): void {
    const set = this.#listeners.get(order.orderNo)
    if (!set) return
    this.#listeners.delete(order.orderNo)
    for (const listener of set) listener(order)
  }
}
