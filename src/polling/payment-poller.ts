// awaitPaymentResult's engine. One polling loop per order (single flight): every caller
// waiting on the same orderNo shares it, so there is one inquiry per tick, not one per caller.
// Each tick: claim the lease, which succeeds only while the order is init (final -> done, no
// inquiry), inquire through the global limiter, and record a final answer through the store's
// atomic transition. p-retry drives the schedule; a result published by the notify route wakes
// waiters and stops the loop. The lease each tick takes lasts until the loop's next tick, and
// the loop lets it go when it ends. A loop whose order another instance holds sleeps until
// that lease could lapse (or the result is published) instead of ticking against the database.
// A loop someone awaits is served before loops only the reconciler drives (foreground first in
// the limiter). What can never fix itself (a setup error, an unrecordable answer, an amount
// mismatch) ends the loop with a typed error, is handed to onAttention, and (for an order) flags
// its attention column so that the reconciler stops picking it.
import { setMaxListeners } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import pRetry, { AbortError } from 'p-retry'
import type { AlertHook } from '../attention/alert-hook.js'
import type { AttentionAlert } from '../attention/attention-alert.js'
import type { SuccessAfterCancel } from '../attention/success-after-cancel.js'
import {
  AbortedError,
  AmountMismatchError,
  ClosedError,
  InvalidAnswerError,
  InvalidOptionError,
  UnknownOrderError,
} from '../errors.js'
import type { PollingOptions } from '../options.js'
import { AlipayPlusSetupError } from '../protocol/errors.js'
import type { InquiryClient } from '../protocol/inquiry-client.js'
import type { FinalOutcome, InquiryOutcome, InvalidAnswerOutcome, SetupErrorOutcome } from '../protocol/inquiry-outcome.js'
import type { CancelStateStore } from '../store/cancel-state.js'
import { OrderBatchReader } from '../store/order-batch-reader.js'
import { assertOrderNo } from '../store/order-no.js'
import { MAX_TIMER_MS, TIMER_LIMIT_PROBLEM } from '../timer-limit.js'
import type { OrderStore } from '../store/order-store.js'
import type { PaymentOrderRecord } from '../store/prisma-types.js'
import type { InquiryLimiter } from './inquiry-limiter.js'
import type { LeaseHold, OrderLease } from './order-lease.js'
import { type PaymentResult, toPaymentResult } from './payment-result.js'
import type { ResultHub } from './result-hub.js'
import { maxDelayAfter } from './retry-delay.js'
import type { Priority } from './wait-queue.js'
import { UntrustedAnswers } from './untrusted-answers.js'
import { type CancelStats, PaymentCanceller } from './window-cancel.js'

export interface AwaitOptions {
  signal?: AbortSignal
  /**
   * This caller's wait. Default: polling.maxRetryTimeMs. It never decides a cancel: with
   * cancelAfterWindow the payment is cancelled only once the order's own window (its createdAt
   * plus polling.maxRetryTimeMs) has passed.
   */
  timeoutMs?: number
}

/**
 * Who waits: the application (awaitPaymentResult), or only the reconciler. Internal: the
 * reconciler's loops yield to the application's in the limiter's queues.
 */
export type Lane = 'foreground' | 'background'

export interface PollerStats {
  /** inquiryPayment calls made, and how each was classified. */
  inquiries: number
  outcomes: Record<InquiryOutcome['kind'], number>
  loopsStarted: number
  activeLoops: number
  /**
   * Lease claims this instance's loops and cancels sent (each an UPDATE), those another
   * instance's live lease refused, and the waits for such a lease to lapse that followed.
   */
  leaseClaims: number
  leaseRefused: number
  leaseWaits: number
  /** Most inquiries ever in flight at once (never above maxConcurrentInquiries). */
  peakInFlight: number
  /** cancelPayment calls made (cancelAfterWindow), and how each was classified. */
  cancels: CancelStats
}

export interface PollerDeps {
  store: OrderStore
  lease: OrderLease
  inquiry: InquiryClient
  limiter: InquiryLimiter
  hub: ResultHub
  polling: Required<PollingOptions>
  log: FastifyBaseLogger
  alerts: AlertHook
  /** The order's cancel state (sent before the first cancel call, then its answer). */
  cancels: CancelStateStore
  /** Flags and alerts a SUCCESS recorded after a cancel was sent. */
  successAfterCancel: SuccessAfterCancel
  /** Cancel the payment when the order's window ends without a final result. */
  cancelAfterWindow: boolean
}

/** One tick's inquiry: for which order, under which lease, with which priority. */
interface Turn {
  orderNo: string
  signal: AbortSignal
  hold: LeaseHold
  priority: Priority
  /** Longest wait the schedule makes before the caller's next tick (0: none). */
  nextTickInMs: number
  /** One inquiry outside any loop: when another instance holds the lease, say so at once. */
  once?: boolean
}

/** A cancel in progress, shared by every caller whose window ends while it runs. */
interface Cancel {
  promise: Promise<PaymentOrderRecord>
  priority: { foreground: boolean }
}

/** A tick that did not reach a final result; p-retry waits and tries again. */
class NotFinalYet extends Error {
  constructor(message: string) {
    // Control flow, not a fault: nobody reads its stack, and capturing one per tick of 10,000
    // loops is memory that outlives the backoff delay (old-generation garbage).
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(message)
    Error.stackTraceLimit = limit
  }
}

/** How a loop ended: the final order, null (window over, nobody waits), or its error. */
type LoopOutcome = { order: PaymentOrderRecord | null } | { error: unknown }

/** Abort reasons of a loop. */
class Finalized {
  constructor(readonly order: PaymentOrderRecord) {}
}
const NO_WAITERS = Symbol('no waiters left')

/**
 * p-retry's own defaults for these two, passed so that its copy of the options gains no
 * properties: adding them gave every loop's copy a hidden class of its own (~400 B a loop).
 */
const always = () => true

interface Loop {
  orderNo: string
  controller: AbortController
  waiters: number
  /** Foreground from the first application waiter on. */
  priority: { foreground: boolean }
  /** The lease this loop's ticks take; released when the loop ends. */
  hold: LeaseHold
  /**
   * The final order, or null when the window ended (or nobody waits any more). Settled as soon
   * as the notify route publishes the result, before the ticks have stopped.
   */
  promise: Promise<PaymentOrderRecord | null>
  /** Resolves once the loop has stopped (never rejects): what close() waits for. */
  stopped: Promise<void>
}

export class PaymentPoller {
  readonly #deps: PollerDeps
  readonly #loops = new Map<string, Loop>()
  /** Cancels in progress, one per order (single flight, like the loops). */
  readonly #cancels = new Map<string, Cancel>()
  readonly #canceller: PaymentCanceller
  /** awaitResult's reads: thousands of calls started together make a few queries, not thousands. */
  readonly #reader: OrderBatchReader
  readonly #closing = new AbortController()
  readonly #untrusted = new UntrustedAnswers()
  #closed = false
  readonly #stats: Omit<PollerStats, 'activeLoops' | 'peakInFlight' | 'cancels' | 'leaseClaims' | 'leaseRefused'> = {
    inquiries: 0,
    outcomes: { final: 0, in_process: 0, retry: 0, order_not_exist: 0, setup_error: 0, invalid_answer: 0 },
    loopsStarted: 0,
    leaseWaits: 0,
  }

  constructor(deps: PollerDeps) {
    this.#deps = deps
    // Every cancel call in flight listens for close(): up to maxConcurrentInquiries at once is normal.
    setMaxListeners(0, this.#closing.signal)
    this.#reader = new OrderBatchReader(deps.store)
    this.#canceller = new PaymentCanceller({
      ...deps,
      untilNextCall: (waitMs) => this.#untilNextCall(waitMs),
      inquireOnce: (hold, signal, priority) => this.#inquireOnce({ orderNo: hold.orderNo, signal, hold, priority, nextTickInMs: 0, once: true }),
    })
  }

  /** `lane` is internal: the reconciler's 'background'; the application's calls are foreground. */
  async awaitResult(orderNo: string, options: AwaitOptions = {}, lane: Lane = 'foreground'): Promise<PaymentResult> {
    assertOrderNo(orderNo)
    const { signal, timeoutMs = this.#deps.polling.maxRetryTimeMs } = options
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new InvalidOptionError('timeoutMs', 'must be a positive number')
    // The window becomes a setTimeout delay: above the cap it would end after 1 ms.
    if (timeoutMs > MAX_TIMER_MS) throw new InvalidOptionError('timeoutMs', TIMER_LIMIT_PROBLEM)
    if (this.#closed) throw new ClosedError(orderNo)
    if (signal?.aborted) throw new AbortedError(orderNo)
    const deadline = Date.now() + timeoutMs

    const order = await this.#reader.getOrder(orderNo)
    if (order === null) throw new UnknownOrderError(orderNo)
    if (order.status !== 'init') return toPaymentResult(order)
    // Only this small result is kept across the wait, not the order record (its Dates, strings
    // and shapes were ~1 KB per waiter of a 10,000-waiter peak).
    const initial = toPaymentResult(order)

    // A loop started by a caller with a shorter window may end before ours: then start another.
    for (let remaining = timeoutMs; remaining > 0; remaining = deadline - Date.now()) {
      const final = await this.#wait(orderNo, remaining, signal, lane)
      if (final !== null) return toPaymentResult(final)
    }
    // Window over: report what is stored, in case a result landed at the last moment.
    const stored = await this.#reader.getOrder(orderNo)
    if (stored === null) return initial
    if (stored.status !== 'init' || stored.attention !== null || !this.#cancelDue(stored)) return toPaymentResult(stored)
    return toPaymentResult(await this.#cancelOnce(orderNo, signal, lane))
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
    return toPaymentResult(await this.#cancelOnce(orderNo, undefined, 'background'))
  }

  isCancelling(orderNo: string): boolean {
    return this.#cancels.has(orderNo)
  }

  /** The order's cancel, shared by every caller whose window ends while it runs. */
  #cancelOnce(orderNo: string, signal: AbortSignal | undefined, lane: Lane): Promise<PaymentOrderRecord> {
    if (this.#closed) return Promise.reject(new ClosedError(orderNo))
    let cancel = this.#cancels.get(orderNo)
    if (cancel === undefined) {
      const priority = { foreground: false }
      const promise = this.#canceller
        .cancel(orderNo, this.#closing.signal, priority)
        .catch((error: unknown) => {
          throw this.#closing.signal.aborted ? new ClosedError(orderNo) : error
        })
        .finally(() => this.#cancels.delete(orderNo))
      cancel = { promise, priority }
      this.#cancels.set(orderNo, cancel)
    }
    if (lane === 'foreground') cancel.priority.foreground = true
    const running = cancel.promise
    if (signal === undefined) return running
    // The caller may stop waiting; the cancel itself goes on (close() stops it).
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new AbortedError(orderNo))
      if (signal.aborted) return onAbort()
      signal.addEventListener('abort', onAbort, { once: true })
      running.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
    })
  }

  isPolling(orderNo: string): boolean {
    return this.#loops.has(orderNo)
  }

  /** The orders with a polling loop, that is with someone waiting on this instance. */
  pollingOrders(): string[] {
    return [...this.#loops.keys()]
  }

  stats(): PollerStats {
    return {
      ...this.#stats,
      outcomes: { ...this.#stats.outcomes },
      activeLoops: this.#loops.size,
      leaseClaims: this.#deps.lease.stats.claims,
      leaseRefused: this.#deps.lease.stats.refused,
      peakInFlight: this.#deps.limiter.peak,
      cancels: { ...this.#canceller.stats },
    }
  }

  /** Stops every loop and cancel in progress; their waiters reject with ClosedError. */
  async close(): Promise<void> {
    this.#closed = true
    this.#closing.abort()
    const loops = [...this.#loops.values()]
    for (const loop of loops) loop.controller.abort(new ClosedError(loop.orderNo))
    const cancels = [...this.#cancels.values()].map((cancel) => cancel.promise)
    await Promise.allSettled([...loops.map((loop) => loop.stopped), ...cancels])
  }

  #wait(orderNo: string, remaining: number, signal: AbortSignal | undefined, lane: Lane): Promise<PaymentOrderRecord | null> {
    if (this.#closed) return Promise.reject(new ClosedError(orderNo))
    const loop = this.#loops.get(orderNo) ?? this.#startLoop(orderNo, remaining)
    loop.waiters++
    // Read at the loop's next turn in the limiter, even if it is queued already.
    if (lane === 'foreground') loop.priority.foreground = true
    return new Promise((resolve, reject) => {
      let settled = false
      const finish = (settle: () => void) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        this.#leave(loop)
        settle()
      }
      // Woken directly by the notify route through the loop's promise (#startLoop): one hub
      // subscription per order, not one more per waiter.
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
    const { polling, hub, log, lease } = this.#deps
    const controller = new AbortController()
    const hold = lease.hold(orderNo)
    const priority = { foreground: false }
    let resolve!: (order: PaymentOrderRecord | null) => void
    let reject!: (error: unknown) => void
    const promise = new Promise<PaymentOrderRecord | null>((res, rej) => {
      resolve = res
      reject = rej
    })
    // The notify route's result (or the wake-up's) wakes the waiters at once and stops the ticks.
    const stopOnResult = hub.subscribe(orderNo, (order) => {
      resolve(order)
      controller.abort(new Finalized(order))
    })
    // p-retry numbers attempts from 1; the wait after attempt n is the one p-retry makes next.
    const tick = (attemptNumber: number) =>
      this.#tick({ orderNo, signal: controller.signal, hold, priority, nextTickInMs: maxDelayAfter(attemptNumber, polling) })
    const stopped = pRetry(tick, {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: polling.minTimeoutMs,
      maxTimeout: polling.maxTimeoutMs,
      factor: polling.factor,
      randomize: polling.randomize,
      maxRetryTime: windowMs,
      signal: controller.signal,
      shouldRetry: always,
      shouldConsumeRetry: always,
      onFailedAttempt: ({ error, attemptNumber }) => {
        log.debug({ orderNo, attemptNumber, why: error.message }, 'alipayplus: no final result yet')
      },
    })
      .then(
        (order): LoopOutcome => ({ order }),
        (error: unknown): LoopOutcome => {
          const reason: unknown = controller.signal.reason
          if (reason instanceof Finalized) return { order: reason.order }
          if (reason === NO_WAITERS) return { order: null }
          if (controller.signal.aborted) return { error: reason }
          if (error instanceof NotFinalYet) return { order: null }
          return { error }
        },
      )
      .then(async (outcome) => {
        // The loop leaves the map first, so that a waiter whose window goes on starts a new loop
        // rather than joining this one. Then its lease goes, whatever ended the loop: another
        // instance need not wait for it to lapse (release never throws; a new loop of this
        // instance may claim meanwhile, and the release leaves that claim alone). Then the
        // waiters hear how it ended (those of a published result heard at once, above).
        stopOnResult()
        if (this.#loops.get(orderNo) === loop) this.#loops.delete(orderNo)
        await hold.release()
        if ('error' in outcome) reject(outcome.error)
        else resolve(outcome.order)
      })
    const loop: Loop = { orderNo, controller, waiters: 0, priority, hold, promise, stopped }
    // Waiters handle the outcome; this only keeps a loop nobody awaits from being "unhandled".
    promise.catch(() => {})
    this.#loops.set(orderNo, loop)
    this.#stats.loopsStarted++
    return loop
  }

  async #tick(turn: Turn): Promise<PaymentOrderRecord> {
    const { store, limiter, inquiry } = this.#deps
    const { orderNo, signal, hold } = turn
    for (;;) {
      // The claim is the "still init?" check before each inquiry, made atomically with taking
      // the lease (its UPDATE matches only an init order): one round trip in the common case.
      // It runs inside the limiter, right before the inquiry, so that 10,000 waiting orders
      // queue in memory rather than as 10,000 UPDATEs in the connection pool, and a lease is
      // never claimed long before it is used. It lasts until this loop's next tick could come.
      // A turn at the per-second cap that took longer than that bound renews it first: a call
      // goes out only while the lease has its margin left (isLive, by the monotonic clock).
      const outcome = await limiter.run(
        async (start) => {
          const untilNext = this.#untilNextCall(turn.nextTickInMs)
          if (!(await hold.claim(untilNext))) return null
          await start()
          if (!hold.isLive() && !(await hold.claim(untilNext))) return null
          return inquiry.inquire(orderNo, { signal })
        },
        { signal, priority: turn.priority },
      )
      if (outcome !== null) return this.#handle(hold, outcome)
      const order = await store.getOrder(orderNo)
      if (order === null) throw new AbortError(new UnknownOrderError(orderNo))
      // Final from either side: stop asking.
      if (order.status !== 'init') return order
      if (turn.once) throw new NotFinalYet('another instance holds the polling lease')
      // Another instance polls it: no claim and read every tick for the whole window, but one
      // when its lease could have lapsed (it renews it before each of its calls), or at once
      // when the result is published (the hub or the wake-up aborts the signal).
      await this.#untilLeaseLapses(order.leaseUntil, signal)
    }
  }

  /**
   * Sleeps until `leaseUntil` by this instance's clock, at least polling.minTimeoutMs (never a
   * busy loop) and at most as long as a lease of this instance could last (a far leaseUntil
   * from a clock ahead of ours is checked again then). Rejects when `signal` aborts.
   */
  async #untilLeaseLapses(leaseUntil: Date | null, signal: AbortSignal): Promise<void> {
    const { polling, lease } = this.#deps
    const longest = this.#untilNextCall(polling.maxTimeoutMs) + lease.marginMs
    const ms = Math.min(Math.max((leaseUntil?.getTime() ?? 0) - Date.now(), polling.minTimeoutMs), longest)
    this.#stats.leaseWaits++
    await sleep(ms, undefined, { signal })
  }

  /**
   * How long a lease claimed now must last to reach the caller's next claim: this call's turn
   * at the per-second cap behind this instance's other loops and cancels (each has at most one
   * call queued ahead of it) and the call itself, then the `waitMs` the schedule makes before
   * the next one. leaseMarginMs is added on top.
   */
  #untilNextCall(waitMs: number): number {
    return waitMs + this.#deps.limiter.turnBoundMs(this.#loops.size + this.#cancels.size)
  }

  /**
   * One inquiry outside any loop (after a refused cancel): the final order, null when not
   * final, or the error that ends polling (amount mismatch, setup error, invalid answer).
   */
  async #inquireOnce(turn: Turn): Promise<PaymentOrderRecord | null> {
    try {
      return await this.#tick(turn)
    } catch (error) {
      if (error instanceof NotFinalYet) return null
      if (error instanceof AbortError) throw error.originalError
      throw error
    }
  }

  async #handle(hold: LeaseHold, outcome: InquiryOutcome): Promise<PaymentOrderRecord> {
    const { limiter, polling } = this.#deps
    const { orderNo } = hold
    this.#stats.inquiries++
    // Written with the lease's next claim or its release: no round trip of its own.
    if (outcome.kind === 'order_not_exist' || outcome.kind === 'in_process') hold.answered(outcome.kind === 'order_not_exist')
    this.#stats.outcomes[outcome.kind]++
    switch (outcome.kind) {
      case 'final':
        this.#untrusted.trusted()
        return this.#record(orderNo, outcome)
      case 'setup_error':
        this.#setupError(orderNo, outcome)
        // Why two kinds: a refusal by result code (ACCESS_DENIED, INVALID_CLIENT, KEY_NOT_FOUND,
        // ...) is Alipay+ itself saying our setup is wrong, in a signed answer: every call will
        // get it, so the waiters hear at once. An answer we cannot trust (bad or missing
        // signature, another payment's answer) may be one forged or garbled message among good
        // ones: retried on the schedule, and only a run of them on this instance rejects.
        if (outcome.untrusted !== true) this.#untrusted.trusted()
        else if (!this.#untrusted.seen()) throw new NotFinalYet(`untrusted answer: ${outcome.resultMessage}`)
        throw new AbortError(new AlipayPlusSetupError(outcome.resultCode, outcome.resultMessage, outcome.httpStatus))
      case 'invalid_answer':
        this.#untrusted.trusted()
        throw new AbortError(await this.#invalidAnswer(orderNo, outcome))
      case 'retry':
        if (outcome.reason === 'traffic_limit') limiter.pause(polling.minTimeoutMs)
        throw new NotFinalYet(`${outcome.reason}: ${outcome.message}`)
      case 'in_process':
      case 'order_not_exist':
        this.#untrusted.trusted()
        throw new NotFinalYet(outcome.kind)
    }
  }

  /** Not the order's fault, so not flagged on it: the same setup error will meet every order. */
  #setupError(orderNo: string, outcome: SetupErrorOutcome): void {
    const message =
      outcome.untrusted === true
        ? 'alipayplus inquiryPayment: an answer that cannot be trusted (signature or payment id); not read, asking again on the schedule'
        : 'alipayplus inquiryPayment: Alipay+ refused in a way retrying cannot fix'
    const resultMessage = outcome.resultMessage.slice(0, 200)
    this.#deps.log.error({ orderNo, resultCode: outcome.resultCode, resultMessage, httpStatus: outcome.httpStatus }, message)
    const alert: AttentionAlert = {
      kind: 'setup_error',
      orderNo,
      source: 'inquiry',
      attention: null,
      message,
      alipayResultCode: outcome.resultCode,
      resultMessage,
    }
    if (outcome.httpStatus !== undefined) alert.httpStatus = outcome.httpStatus
    this.#deps.alerts.emit(alert)
  }

  /** A signed answer that can never be recorded: asking again would get the same one. */
  async #invalidAnswer(orderNo: string, outcome: InvalidAnswerOutcome): Promise<Error> {
    const problem = outcome.problem.slice(0, 200)
    const message = 'alipayplus inquiryPayment answer cannot be recorded: order left init for a human'
    this.#deps.log.error({ orderNo, resultCode: outcome.resultCode, problem }, message)
    const attention = (await this.#deps.store.setAttention(orderNo, 'invalid_answer')) ? 'invalid_answer' : null
    this.#deps.alerts.emit({ kind: 'invalid_answer', orderNo, source: 'inquiry', attention, message, resultCode: outcome.resultCode, problem })
    return new InvalidAnswerError(orderNo, problem)
  }

  async #record(orderNo: string, outcome: FinalOutcome): Promise<PaymentOrderRecord> {
    const { store, log, alerts } = this.#deps
    const recorded = await store.recordResult({
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
    // A mismatch leaves the order init, unless another result finalized it meanwhile. Flagged,
    // so that the reconciler does not ask again at every pass and get the same answer.
    if (order.status === 'init') {
      const expected = { currency: order.currency, value: order.amount }
      const message = 'alipayplus inquiryPayment amount mismatch: order left init, event recorded; needs a human'
      log.error({ orderNo, expected, received: outcome.paymentAmount }, message)
      const attention = (await store.setAttention(orderNo, 'amount_mismatch')) ? 'amount_mismatch' : null
      alerts.emit({
        kind: 'amount_mismatch',
        orderNo,
        source: 'inquiry',
        attention,
        message,
        expected,
        // Present and well-formed: classifyInquiryResponse makes a SUCCESS without one invalid_answer.
        received: { currency: outcome.paymentAmount!.currency, value: outcome.paymentAmount!.value },
        eventId: recorded.eventId,
      })
      throw new AbortError(new AmountMismatchError(orderNo))
    }
    if (reason === 'conflicting_result') {
      const message = 'alipayplus inquiryPayment conflicts with the recorded final result: kept the first, event recorded; needs a human'
      log.error({ orderNo, stored: order.status, storedSource: order.resultSource, inquired: outcome.status }, message)
      alerts.emit({
        kind: 'conflicting_result',
        orderNo,
        source: 'inquiry',
        attention: null,
        message,
        recorded: { status: order.status, source: order.resultSource, resultCode: order.resultCode },
        received: { status: outcome.status, resultCode: outcome.resultCode },
        eventId: recorded.eventId,
      })
    }
    this.#deps.hub.publish(order)
    return order
  }
}
