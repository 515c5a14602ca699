// awaitPaymentResult's engine, as the plugin sees it: callers wait here, PollingLoops polls the
// awaited orders (one polling per order, however many wait; p-retry schedules its ticks), and
// CancelFlights cancels an order whose window ended (cancelAfterWindow). A waiter is only what
// its promise needs plus an entry in one DeadlineTimer for its window: 10,000 waiters are not
// 10,000 timers. What can never fix itself (a setup error, an unrecordable answer, an amount
// mismatch) ends an order's polling with a typed error, handed to onAttention (InquiryAnswers).
import { setMaxListeners } from 'node:events'
import { performance } from 'node:perf_hooks'
import { AbortedError, ClosedError, UnknownOrderError } from '../errors.js'
import { OrderBatchReader } from '../store/order-batch-reader.js'
import { assertOrderNo } from '../store/order-no.js'
import type { PaymentOrderRecord } from '../store/prisma-types.js'
import { awaitOptionsReader, type ResolvedAwaitOptions } from './await-options.js'
import { CancelFlights } from './cancel-flight.js'
import { DeadlineTimer } from './deadline-timer.js'
import { NoWaiters } from './loop-stops.js'
import { type PaymentResult, toPaymentResult } from './payment-result.js'
import type { PolledOrder } from './polled-order.js'
import type { AwaitOptions, Lane, LoopOutcome, PollerCounters, PollerDeps, PollerStats } from './poller-types.js'
import { PollingLoops } from './polling-loops.js'
import { Waiter } from './waiter.js'
import { PaymentCanceller } from './payment-canceller.js'

export type { AwaitOptions, Lane, PollerDeps, PollerStats } from './poller-types.js'

export class PaymentPoller {
  readonly #deps: PollerDeps
  readonly #loops: PollingLoops
  readonly #cancels: CancelFlights
  readonly #canceller: PaymentCanceller
  /** awaitResult's reads: thousands of calls started together make a few queries, not thousands. */
  readonly #reader: OrderBatchReader
  /** Every waiter's window, on one timer. */
  readonly #deadlines = new DeadlineTimer<Waiter>((waiter) => this.#drop(waiter, { order: null }))
  readonly #closing = new AbortController()
  readonly #readAwaitOptions: (options: AwaitOptions | undefined) => ResolvedAwaitOptions
  #closed = false
  readonly #counters: PollerCounters = {
    inquiries: 0,
    outcomes: { final: 0, in_process: 0, retry: 0, order_not_exist: 0, setup_error: 0, invalid_answer: 0 },
    loopsStarted: 0,
    leaseWaits: 0,
  }

  constructor(deps: PollerDeps) {
    this.#deps = deps
    this.#readAwaitOptions = awaitOptionsReader(deps.polling.maxRetryTimeMs)
    // Every cancel call in flight listens for close(): up to maxConcurrentInquiries at once is normal.
    setMaxListeners(0, this.#closing.signal)
    this.#reader = new OrderBatchReader(deps.store)
    const untilNextCall = (waitMs: number) => this.#untilNextCall(waitMs)
    this.#loops = new PollingLoops({
      ...deps,
      counters: this.#counters,
      closing: this.#closing.signal,
      untilNextCall,
      settle: (order, outcome) => this.#settle(order, outcome),
    })
    this.#canceller = new PaymentCanceller({
      ...deps,
      untilNextCall,
      inquireOnce: (hold, signal, lane) => this.#loops.ticks.inquireOnce(hold, signal, lane),
    })
    this.#cancels = new CancelFlights(this.#canceller, this.#closing.signal)
  }

  /** `lane` is internal: the reconciler's 'background'; the application's calls are foreground. */
  async awaitResult(orderNo: string, options?: AwaitOptions, lane: Lane = 'foreground'): Promise<PaymentResult> {
    assertOrderNo(orderNo)
    const { signal, timeoutMs } = this.#readAwaitOptions(options)
    if (this.#closed) throw new ClosedError(orderNo)
    if (signal?.aborted) throw new AbortedError(orderNo)

    const order = await this.#reader.getOrder(orderNo)
    if (order === null) throw new UnknownOrderError(orderNo)
    if (order.status !== 'init') return toPaymentResult(order)
    // Only this small result is kept across the wait, not the order record (its Dates, strings
    // and shapes were ~1 KB per waiter of a 10,000-waiter peak).
    const initial = toPaymentResult(order)

    // No async frame is kept across the wait: only the waiter and this continuation.
    return this.#wait(orderNo, timeoutMs, signal, lane).then((final) =>
      final !== null ? toPaymentResult(final) : this.#windowOver(orderNo, initial, signal, lane),
    )
  }

  /** The caller's window is over: what is stored, in case a result landed at the last moment, or the cancel's result. */
  async #windowOver(orderNo: string, initial: PaymentResult, signal: AbortSignal | undefined, lane: Lane): Promise<PaymentResult> {
    const stored = await this.#reader.getOrder(orderNo)
    if (stored === null) return initial
    if (stored.status !== 'init' || stored.attention !== null || !this.#cancelDue(stored)) return toPaymentResult(stored)
    return toPaymentResult(await this.#cancels.cancelOnce(orderNo, signal, lane))
  }

  /**
   * Whether an init order's payment is to be cancelled now: a cancel sent before and never
   * answered is resumed; otherwise, with cancelAfterWindow, once the order's own window is over.
   * Why the order's window and not the caller's: a caller's timeoutMs is its own patience (a
   * short status check), and another caller may still be waiting for the same payment.
   */
  #cancelDue(order: PaymentOrderRecord): boolean {
    if (order.cancelState === 'sent') return true
    return this.#deps.cancelAfterWindow && Date.now() >= order.createdAt.getTime() + this.#deps.polling.maxRetryTimeMs
  }

  /**
   * Resumes the cancel of an init order whose cancel was sent and never answered (the
   * reconciler's call): the order as stored after it.
   */
  async resumeCancel(orderNo: string): Promise<PaymentResult> {
    assertOrderNo(orderNo)
    return toPaymentResult(await this.#cancels.cancelOnce(orderNo, undefined, 'background'))
  }

  isCancelling(orderNo: string): boolean {
    return this.#cancels.has(orderNo)
  }

  isPolling(orderNo: string): boolean {
    return this.#loops.has(orderNo)
  }

  /** The orders being polled, that is with someone waiting on this instance. */
  pollingOrders(): string[] {
    return this.#loops.orderNos()
  }

  stats(): PollerStats {
    return {
      ...this.#counters,
      outcomes: { ...this.#counters.outcomes },
      activeLoops: this.#loops.size,
      leaseClaims: this.#deps.lease.stats.claims,
      leaseRefused: this.#deps.lease.stats.refused,
      peakInFlight: this.#deps.limiter.peak,
      cancels: { ...this.#canceller.stats },
    }
  }

  /** Stops every polling and cancel in progress; their waiters reject with ClosedError. */
  async close(): Promise<void> {
    this.#closed = true
    this.#closing.abort()
    const cancels = this.#cancels.running()
    await Promise.allSettled([this.#loops.stopAll((order) => new ClosedError(order.orderNo)), ...cancels])
  }

  /** Waits on the order's polling (joined, or started) until it is final or `windowMs` pass (null). */
  #wait(orderNo: string, windowMs: number, signal: AbortSignal | undefined, lane: Lane): Promise<PaymentOrderRecord | null> {
    if (this.#closed) return Promise.reject(new ClosedError(orderNo))
    return new Promise((resolve, reject) => {
      const order = this.#loops.join(orderNo, windowMs, lane)
      const waiter = new Waiter(order, performance.now() + windowMs, lane === 'foreground', resolve, reject, signal)
      this.#enter(order, waiter)
      this.#deadlines.add(waiter)
      if (signal !== undefined) {
        waiter.onAbort = () => this.#drop(waiter, { error: new AbortedError(orderNo) })
        signal.addEventListener('abort', waiter.onAbort, { once: true })
      }
    })
  }

  #enter(order: PolledOrder, waiter: Waiter): void {
    waiter.order = order
    // Most orders have one waiter: an array of exactly one, not one with room for 16 more.
    if (order.waiters.length === 0) order.waiters = [waiter]
    else order.waiters.push(waiter)
  }

  /** One waiter leaves (its window ended, it aborted); the order's polling stops when nobody is left. */
  #drop(waiter: Waiter, outcome: LoopOutcome): void {
    const { order } = waiter
    const index = order.waiters.indexOf(waiter)
    if (index === -1) return
    order.waiters.splice(index, 1)
    this.#release(waiter, outcome)
    if (order.waiters.length === 0) this.#loops.stop(order, new NoWaiters())
  }

  /**
   * Every waiter of the order hears how its polling ended; except that a waiter whose own window
   * goes on when the polling's ended (started by a caller with a shorter window) waits on a new one.
   */
  #settle(order: PolledOrder, outcome: LoopOutcome): void {
    const waiters = order.waiters
    order.waiters = []
    const now = performance.now()
    for (const waiter of waiters) {
      if ('order' in outcome && outcome.order === null && waiter.at > now && !this.#closed) {
        this.#enter(this.#loops.join(order.orderNo, waiter.at - now, waiter.foreground ? 'foreground' : 'background'), waiter)
      } else this.#release(waiter, outcome)
    }
  }

  #release(waiter: Waiter, outcome: LoopOutcome): void {
    this.#deadlines.remove(waiter)
    if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort)
    if ('error' in outcome) waiter.reject(outcome.error)
    else waiter.resolve(outcome.order)
  }

  /**
   * How long a lease claimed now must last to reach the caller's next claim: this call's turn
   * at the per-second cap behind this instance's other pollings and cancels (each has at most
   * one call queued ahead of it) and the call itself, then the `waitMs` the schedule makes
   * before the next one. leaseMs is added on top.
   */
  #untilNextCall(waitMs: number): number {
    return waitMs + this.#deps.limiter.turnBoundMs(this.#loops.size + this.#cancels.size)
  }
}
