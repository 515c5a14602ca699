// awaitPaymentResult's engine. One polling loop per order (single flight): every caller
// waiting on the same orderNo shares it, so there is one inquiry per tick, not one per caller.
// Each tick: claim the lease, which succeeds only while the order is init (final -> done, no
// inquiry), inquire through the global limiter, and record a final answer through the store's
// atomic transition. p-retry drives the schedule; a result published by the notify route wakes
// waiters and stops the loop.
import type { FastifyBaseLogger } from 'fastify'
import pRetry, { AbortError } from 'p-retry'
import { AbortedError, AmountMismatchError, ClosedError, InvalidOptionError, UnknownOrderError } from '../errors.js'
import type { PollingOptions } from '../options.js'
import { AlipayPlusSetupError } from '../protocol/errors.js'
import type { InquiryClient } from '../protocol/inquiry-client.js'
import type { FinalOutcome, InquiryOutcome } from '../protocol/inquiry-outcome.js'
import { assertOrderNo } from '../store/order-no.js'
import { MAX_TIMER_MS, TIMER_LIMIT_PROBLEM } from '../timer-limit.js'
import type { OrderStore } from '../store/order-store.js'
import type { PaymentOrderRecord } from '../store/prisma-types.js'
import type { InquiryLimiter } from './inquiry-limiter.js'
import type { OrderLease } from './order-lease.js'
import { type PaymentResult, toPaymentResult } from './payment-result.js'
import type { ResultHub } from './result-hub.js'

export interface AwaitOptions {
  signal?: AbortSignal
  /** This caller's polling window. Default: polling.maxRetryTime. */
  timeoutMs?: number
}

export interface PollerStats {
  /** inquiryPayment calls made, and how each was classified. */
  inquiries: number
  outcomes: Record<InquiryOutcome['kind'], number>
  loopsStarted: number
  activeLoops: number
  /** Most inquiries ever in flight at once (never above maxConcurrentInquiries). */
  peakInFlight: number
}

export interface PollerDeps {
  store: OrderStore
  lease: OrderLease
  inquiry: InquiryClient
  limiter: InquiryLimiter
  hub: ResultHub
  polling: Required<PollingOptions>
  log: FastifyBaseLogger
}

/** A tick that did not reach a final result; p-retry waits and tries again. */
class NotFinalYet extends Error {}

/** Abort reasons of a loop. */
class Finalized {
  constructor(readonly order: PaymentOrderRecord) {}
}
const NO_WAITERS = Symbol('no waiters left')

interface Loop {
  orderNo: string
  controller: AbortController
  waiters: number
  /** The final order, or null when the window ended (or nobody waits any more). */
  promise: Promise<PaymentOrderRecord | null>
}

export class PaymentPoller {
  readonly #deps: PollerDeps
  readonly #loops = new Map<string, Loop>()
  #closed = false
  readonly #stats: Omit<PollerStats, 'activeLoops' | 'peakInFlight'> = {
    inquiries: 0,
    outcomes: { final: 0, in_process: 0, retry: 0, order_not_exist: 0, setup_error: 0 },
    loopsStarted: 0,
  }

  constructor(deps: PollerDeps) {
    this.#deps = deps
  }

  async awaitResult(orderNo: string, options: AwaitOptions = {}): Promise<PaymentResult> {
    assertOrderNo(orderNo)
    const { signal, timeoutMs = this.#deps.polling.maxRetryTime } = options
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new InvalidOptionError('timeoutMs', 'must be a positive number')
    // The window becomes a setTimeout delay: above the cap it would end after 1 ms.
    if (timeoutMs > MAX_TIMER_MS) throw new InvalidOptionError('timeoutMs', TIMER_LIMIT_PROBLEM)
    if (this.#closed) throw new ClosedError(orderNo)
    if (signal?.aborted) throw new AbortedError(orderNo)
    const deadline = Date.now() + timeoutMs

    const order = await this.#deps.store.getOrder(orderNo)
    if (order === null) throw new UnknownOrderError(orderNo)
    if (order.status !== 'init') return toPaymentResult(order)

    // A loop started by a caller with a shorter window may end before ours: then start another.
    for (let remaining = timeoutMs; remaining > 0; remaining = deadline - Date.now()) {
      const final = await this.#wait(orderNo, remaining, signal)
      if (final !== null) return toPaymentResult(final)
    }
    // Window over: report what is stored, in case a result landed at the last moment.
    return toPaymentResult((await this.#deps.store.getOrder(orderNo)) ?? order)
  }

  isPolling(orderNo: string): boolean {
    return this.#loops.has(orderNo)
  }

  stats(): PollerStats {
    return {
      ...this.#stats,
      outcomes: { ...this.#stats.outcomes },
      activeLoops: this.#loops.size,
      peakInFlight: this.#deps.limiter.peak,
    }
  }

  /** Stops every loop; their waiters reject with ClosedError. */
  async close(): Promise<void> {
    this.#closed = true
    const loops = [...this.#loops.values()]
    for (const loop of loops) loop.controller.abort(new ClosedError(loop.orderNo))
    await Promise.allSettled(loops.map((loop) => loop.promise))
  }

  #wait(orderNo: string, remaining: number, signal: AbortSignal | undefined): Promise<PaymentOrderRecord | null> {
    if (this.#closed) return Promise.reject(new ClosedError(orderNo))
    const loop = this.#loops.get(orderNo) ?? this.#startLoop(orderNo, remaining)
    loop.waiters++
    return new Promise((resolve, reject) => {
      let settled = false
      const finish = (settle: () => void) => {
        if (settled) return
        settled = true
        unsubscribe()
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        this.#leave(loop)
        settle()
      }
      // Woken directly by the notify route: no need to wait for the loop's next tick.
      const unsubscribe = this.#deps.hub.subscribe(orderNo, (order) => finish(() => resolve(order)))
      const timer = setTimeout(() => finish(() => resolve(null)), remaining)
      const onAbort = () => finish(() => reject(new AbortedError(orderNo)))
      signal?.addEventListener('abort', onAbort, { once: true })
      loop.promise.then(
        (order) => finish(() => resolve(order)),
        (error: unknown) => finish(() => reject(error)),
      )
    })
  }

  #leave(loop: Loop): void {
    loop.waiters--
    if (loop.waiters === 0) loop.controller.abort(NO_WAITERS)
  }

  #startLoop(orderNo: string, windowMs: number): Loop {
    const { polling, hub, log } = this.#deps
    const controller = new AbortController()
    const stopOnResult = hub.subscribe(orderNo, (order) => controller.abort(new Finalized(order)))
    const promise = pRetry(() => this.#tick(orderNo, controller.signal), {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: polling.minTimeout,
      maxTimeout: polling.maxTimeout,
      factor: polling.factor,
      randomize: polling.randomize,
      maxRetryTime: windowMs,
      signal: controller.signal,
      onFailedAttempt: ({ error, attemptNumber }) => {
        log.debug({ orderNo, attemptNumber, why: error.message }, 'alipayplus: no final result yet')
      },
    })
      .catch((error: unknown) => {
        const reason: unknown = controller.signal.reason
        if (reason instanceof Finalized) return reason.order
        if (reason === NO_WAITERS) return null
        if (controller.signal.aborted) throw reason
        if (error instanceof NotFinalYet) return null
        throw error
      })
      .finally(() => {
        stopOnResult()
        if (this.#loops.get(orderNo) === loop) this.#loops.delete(orderNo)
      })
    const loop: Loop = { orderNo, controller, waiters: 0, promise }
    // Waiters handle the outcome; this only keeps a loop nobody awaits from being "unhandled".
    promise.catch(() => {})
    this.#loops.set(orderNo, loop)
    this.#stats.loopsStarted++
    return loop
  }

  async #tick(orderNo: string, signal: AbortSignal): Promise<PaymentOrderRecord> {
    const { store, lease, limiter, inquiry, polling } = this.#deps
    // The claim is the "still init?" check before each inquiry, made atomically with taking the
    // lease (its UPDATE matches only an init order): one round trip in the common case. It runs
    // inside the limiter, right before the inquiry, so that 10,000 waiting orders queue in
    // memory rather than as 10,000 UPDATEs in the connection pool, and a lease is never
    // claimed long before it is used.
    const outcome = await limiter.run(async () => {
      if (!(await lease.claim(orderNo))) return null
      return inquiry.inquire(orderNo, { signal })
    }, signal)
    if (outcome === null) {
      const order = await store.getOrder(orderNo)
      if (order === null) throw new AbortError(new UnknownOrderError(orderNo))
      // Final from either side: stop asking.
      if (order.status !== 'init') return order
      throw new NotFinalYet('another instance holds the polling lease')
    }
    this.#stats.inquiries++
    this.#stats.outcomes[outcome.kind]++
    switch (outcome.kind) {
      case 'final':
        return this.#record(orderNo, outcome)
      case 'setup_error':
        throw new AbortError(new AlipayPlusSetupError(outcome.resultCode, outcome.resultMessage, outcome.httpStatus))
      case 'retry':
        if (outcome.reason === 'traffic_limit') limiter.pause(polling.minTimeout)
        throw new NotFinalYet(`${outcome.reason}: ${outcome.message}`)
      case 'in_process':
      case 'order_not_exist':
        throw new NotFinalYet(outcome.kind)
    }
  }

  async #record(orderNo: string, outcome: FinalOutcome): Promise<PaymentOrderRecord> {
    const recorded = await this.#deps.store.recordResult({
      orderNo,
      source: 'inquiry',
      status: outcome.status,
      resultCode: outcome.resultCode,
      resultMessage: outcome.resultMessage,
      paymentId: outcome.paymentId ?? null,
      paymentTime: outcome.paymentTime ?? null,
      paymentAmount: outcome.paymentAmount ?? null,
      payload: outcome.response,
    })
    const { order, reason } = recorded
    // A mismatch leaves the order init, unless another result finalized it meanwhile.
    if (order.status === 'init') throw new AbortError(new AmountMismatchError(orderNo))
    if (reason === 'conflicting_result') {
      this.#deps.log.error(
        { orderNo, stored: order.status, storedSource: order.resultSource, inquired: outcome.status },
        'alipayplus inquiryPayment conflicts with the recorded final result: kept the first, event recorded; needs a human',
      )
    }
    this.#deps.hub.publish(order)
    return order
  }
}
