// The cancel of an order (cancelAfterWindow, or resuming one sent and never answered) runs once
// however many callers' windows end while it runs: each caller awaits the same run. A caller's
// abort signal only stops its own wait; the cancel goes on (close() stops it), since a cancel
// that was sent must be worked to an answer.
import { AbortedError, ClosedError } from '../errors.js'
import type { PaymentOrderRecord } from '../store/prisma-types.js'
import type { Lane } from './poller-types.js'
import type { PaymentCanceller } from './payment-canceller.js'

/** A cancel in progress, shared by every caller whose window ends while it runs. */
interface Cancel {
  promise: Promise<PaymentOrderRecord>
  /** Its lane: foreground once an application caller awaits it (read at the cancel's next turn). */
  lane: { foreground: boolean }
}

export class CancelFlights {
  readonly #canceller: PaymentCanceller
  readonly #closing: AbortSignal
  readonly #cancels = new Map<string, Cancel>()

  constructor(canceller: PaymentCanceller, closing: AbortSignal) {
    this.#canceller = canceller
    this.#closing = closing
  }

  get size(): number {
    return this.#cancels.size
  }

  has(orderNo: string): boolean {
    return this.#cancels.has(orderNo)
  }

  /** The cancels in progress (what close() waits for). */
  running(): Array<Promise<PaymentOrderRecord>> {
    return [...this.#cancels.values()].map((cancel) => cancel.promise)
  }

  /** The order's cancel: the order as stored after it. */
  cancelOnce(orderNo: string, signal: AbortSignal | undefined, lane: Lane): Promise<PaymentOrderRecord> {
    if (this.#closing.aborted) return Promise.reject(new ClosedError(orderNo))
    let cancel = this.#cancels.get(orderNo)
    if (cancel === undefined) {
      const cancelLane = { foreground: false }
      const promise = this.#canceller
        .cancel(orderNo, this.#closing, cancelLane)
        .catch((error: unknown) => {
          throw this.#closing.aborted ? new ClosedError(orderNo) : error
        })
        .finally(() => this.#cancels.delete(orderNo))
      // Callers handle the outcome; this only keeps a run whose callers all stopped waiting (an
      // aborted signal) from being an unhandled rejection when close() ends it.
      promise.catch(() => {})
      cancel = { promise, lane: cancelLane }
      this.#cancels.set(orderNo, cancel)
    }
    // Read at the cancel's next turn in the limiter.
    if (lane === 'foreground') cancel.lane.foreground = true
    const running = cancel.promise
    if (signal === undefined) return running
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new AbortedError(orderNo))
      if (signal.aborted) return onAbort()
      signal.addEventListener('abort', onAbort, { once: true })
      running.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
    })
  }
}
