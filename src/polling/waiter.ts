// One awaitPaymentResult call waiting on a polled order: what its promise needs (resolve,
// reject), its window's deadline (an entry in the poller's one DeadlineTimer), and its abort
// listener if the caller gave a signal. Nothing else: no timer, no closure of its own.
import type { PaymentOrderRecord } from '../store/prisma-types.js'
import type { Deadline } from './deadline-timer.js'
import type { PolledOrder } from './polled-order.js'

export class Waiter implements Deadline {
  heapIndex = -1
  onAbort: (() => void) | undefined = undefined

  constructor(
    /** The polling it waits on (a new one if that one ends before this caller's window). */
    public order: PolledOrder,
    /** performance.now() when this caller's window ends. */
    readonly at: number,
    /** The application waits (not only the reconciler). */
    readonly foreground: boolean,
    readonly resolve: (order: PaymentOrderRecord | null) => void,
    readonly reject: (error: unknown) => void,
    readonly signal: AbortSignal | undefined,
  ) {}
}
