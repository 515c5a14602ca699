// Hands every final result to the application's onPaymentResult, durably. The state lives on
// the order row (deliveredAt, deliveryAttempts, deliveryError, deliveryDueAt, deliveryGaveUpAt)
// and a run is guarded by a claim (DeliveryClaims: deliveryOwner until deliveryUntil, taken by
// one compare-and-set on the run count, renewed while the handler runs: HeldClaim), so that:
//   - a result this instance finalized is delivered at once, off the request path;
//   - the sweep (at ready, then every sweepIntervalMs) delivers what no instance did: results
//     finalized elsewhere by an instance that died, while none ran, or whose run failed;
//   - two runs of one order never overlap: a run starts only on a claim it still holds, and is
//     aborted before its claim could lapse when no renewal was confirmed in time;
//   - a failed or timed-out run is retried at deliveryDueAt (p-retry's backoff), after a
//     restart too; once the retries are used up the result is a dead letter (deliveryGaveUpAt).
// At least once; exactly once unless an instance dies (or loses its claim) mid-run.
import { performance } from 'node:perf_hooks'
import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { AttentionAlerts } from '../attention/attention-alerts.js'
import { DeliveryClosedError, DeliveryTimeoutError } from '../errors.js'
import { toPaymentResult } from '../polling/payment-result.js'
import type { PaymentOrderRecord } from '../store/prisma-types.js'
import type { ClaimToken, DeliveryClaims } from './delivery-claims.js'
import { traceDelivery } from '../telemetry/channels.js'
import type { PaymentResultHandler, ResolvedDeliveryOptions } from './delivery-options.js'
import { retryDelay } from '../retry-delay.js'
import { type ClaimTiming, HeldClaim } from './held-claim.js'
import { alertExhausted, alertFailing, limitsReached } from './retry-limits.js'

/** Longest error message kept in deliveryError. */
const MAX_ERROR_LENGTH = 500

/** Results waiting here for a free slot; beyond this the sweep finds them later. */
const MAX_QUEUED = 10_000

/** First wait before marking a completed run again after a database error (doubles each time). */
const MARK_RETRY_MS = 50

export interface ResultDeliveryDeps {
  claims: DeliveryClaims
  handler: PaymentResultHandler
  options: ResolvedDeliveryOptions
  log: FastifyBaseLogger
  alerts: AttentionAlerts
}

export interface DeliveryStats {
  /** Handler runs started by this instance. */
  runs: number
  delivered: number
  failed: number
  /** Results waiting for a slot, and handlers running now. */
  queued: number
  running: number
}

/** The error as kept in deliveryError: its name and message only (no stack, no result data), bounded. */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : `thrown: ${String(error)}`
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 3)}...` : text
}

/**
 * The key that is the same for every run of this result: the deciding event's id. An order
 * finalized without one (by SQL, say) is keyed by its final status, which never changes either.
 */
function idempotencyKey(order: PaymentOrderRecord): string {
  return `${order.orderNo}:${order.finalEventId ?? order.status}`
}

export class ResultDelivery {
  /** This instance's identity in deliveryOwner. */
  readonly owner = randomUUID()
  readonly #deps: ResultDeliveryDeps
  readonly #timing: ClaimTiming
  /** Queued or running here: never twice at once in one process. */
  readonly #active = new Set<string>()
  readonly #queue: string[] = []
  readonly #running = new Map<string, Promise<void>>()
  readonly #retryTimers = new Map<string, NodeJS.Timeout>()
  /** Aborts every running handler, and stops every renewal, on close. */
  readonly #closing = new AbortController()
  #sweepTimer: NodeJS.Timeout | undefined
  #pass: Promise<number> | undefined
  #sweepWhenDrained = false
  #closed = false
  readonly #stats = { runs: 0, delivered: 0, failed: 0 }

  constructor(deps: ResultDeliveryDeps) {
    this.#deps = deps
    const { leaseMs, maxClockSkewMs } = deps.options
    this.#timing = { leaseMs, maxClockSkewMs, wallClock: deps.claims.wallClock }
  }

  /** Starts the sweep: one pass now, then every sweepIntervalMs. */
  start(): void {
    void this.sweepNow()
    this.#sweepTimer = setInterval(() => void this.sweepNow(), this.#deps.options.sweepIntervalMs)
  }

  stats(): DeliveryStats {
    return { ...this.#stats, queued: this.#queue.length, running: this.#running.size }
  }

  /** A result this instance just finalized (durably): deliver it as soon as a slot is free. */
  finalized(order: PaymentOrderRecord): void {
    this.#enqueue(order.orderNo)
  }

  /** One sweep pass; resolves with the number of results it queued. Overlapping calls share a pass. */
  sweepNow(): Promise<number> {
    this.#pass ??= this.#sweep().finally(() => {
      this.#pass = undefined
    })
    return this.#pass
  }

  /**
   * Stops the sweep, the retry timers and every renewal, aborts running handlers through their
   * signal and waits for them (at most timeoutMs): each gives its claim back, and its attempt
   * (an interrupted run does not count against delivery.retries), so another instance can
   * take the result at once. A handler that ignores its signal keeps running, but its claim is
   * no longer renewed: it lapses, and another instance delivers the result.
   */
  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#sweepTimer)
    for (const timer of this.#retryTimers.values()) clearTimeout(timer)
    this.#retryTimers.clear()
    this.#queue.length = 0
    this.#closing.abort()
    await this.#pass
    const running = Promise.allSettled([...this.#running.values()])
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.#deps.options.timeoutMs)
    })
    if ((await Promise.race([running, late])) === 'late') {
      this.#deps.log.error(
        { orderNos: [...this.#running.keys()] },
        'alipayplus delivery: onPaymentResult ignored its abort signal at close; its claim is no longer renewed and lapses within delivery.leaseMs',
      )
    }
    clearTimeout(timer)
  }

  async #sweep(): Promise<number> {
    if (this.#closed) return 0
    const { claims, options, log } = this.#deps
    let orderNos: string[]
    try {
      orderNos = await claims.findDue(options.batchSize)
    } catch (error) {
      log.error({ err: error }, 'alipayplus delivery: could not list undelivered results')
      return 0
    }
    let queued = 0
    for (const orderNo of orderNos) if (this.#enqueue(orderNo)) queued++
    // A full batch: there may be more; look again once this batch has gone through.
    if (orderNos.length === options.batchSize) this.#sweepWhenDrained = true
    return queued
  }

  #enqueue(orderNo: string): boolean {
    if (this.#closed || this.#active.has(orderNo) || this.#queue.length >= MAX_QUEUED) return false
    this.#active.add(orderNo)
    this.#queue.push(orderNo)
    this.#pump()
    return true
  }

  #pump(): void {
    while (this.#running.size < this.#deps.options.concurrency && this.#queue.length > 0) {
      const orderNo = this.#queue.shift() as string
      const run = this.#deliver(orderNo)
        .catch((error: unknown) => {
          // The database failed us between claim and release: the claim lapses, the sweep retries.
          this.#deps.log.error({ err: error, orderNo }, 'alipayplus delivery: could not record the outcome of a run')
        })
        .finally(() => {
          this.#running.delete(orderNo)
          this.#active.delete(orderNo)
          this.#pump()
          if (this.#queue.length === 0 && this.#running.size === 0 && this.#sweepWhenDrained) {
            this.#sweepWhenDrained = false
            void this.sweepNow()
          }
        })
      this.#running.set(orderNo, run)
    }
  }

  /** Reads the result, claims its next run (or gives it up, past the limits), and runs it. */
  async #deliver(orderNo: string): Promise<void> {
    const { claims, options } = this.#deps
    const order = await claims.read(orderNo)
    if (order === null || order.status === 'init' || order.deliveredAt !== null || order.deliveryGaveUpAt !== null) return
    if (limitsReached(options, order, order.deliveryAttempts, this.#timing.wallClock())) {
      // Past the limits with no failed run to say so (the last run was cut short by a crash, or
      // the limits were lowered): a dead letter now, unless another instance has it.
      if (await claims.giveUp(order)) this.#gaveUp(order, order.deliveryAttempts, order.deliveryError, null)
      return
    }
    const sentAt = performance.now()
    const attempt = await claims.claim(order, this.owner, HeldClaim.until(this.#timing))
    // Claimed first by another instance, or no longer due: not ours.
    if (attempt === null) return
    await this.#run(order, { orderNo, owner: this.owner, attempt }, sentAt)
  }

  async #run(order: PaymentOrderRecord, token: ClaimToken, sentAt: number): Promise<void> {
    const { claims, handler, options, log } = this.#deps
    const controller = new AbortController()
    const held = new HeldClaim(claims, token, sentAt, this.#timing, log, (reason) => controller.abort(reason))
    // Start only on a claim still surely ours: one that took long to confirm is renewed first.
    if (held.ageMs() > held.renewEveryMs) await held.renewNow()
    if (this.#closed || held.remainingMs() === 0) {
      held.end()
      // The run never started: nothing is in flight for this claim, so its number can be given back.
      await claims.release(token, { dueAt: new Date(this.#timing.wallClock()), giveBack: true })
      return
    }
    const { orderNo, attempt } = token
    if (order.finalEventId === null) {
      log.warn({ orderNo }, 'alipayplus delivery: a final order without its deciding event (finalEventId); delivered from the order row')
    }

    const onClose = () => {
      held.stopRenewing()
      controller.abort(new DeliveryClosedError(orderNo))
    }
    if (this.#closing.signal.aborted) onClose()
    else this.#closing.signal.addEventListener('abort', onClose, { once: true })
    const timeout = setTimeout(() => controller.abort(new DeliveryTimeoutError(orderNo, options.timeoutMs)), options.timeoutMs)
    held.keep()

    this.#stats.runs++
    let failure: unknown
    let succeeded = false
    try {
      const run = traceDelivery(this, order, attempt, () =>
        Promise.resolve().then(() =>
          handler(toPaymentResult(order), { idempotencyKey: idempotencyKey(order), attempt, signal: controller.signal, manual: order.deliveryRequestedBy !== null }),
        ),
      )
      const aborted = new Promise<never>((_, reject) => {
        const fail = () => reject(controller.signal.reason)
        if (controller.signal.aborted) fail()
        else controller.signal.addEventListener('abort', fail, { once: true })
      })
      aborted.catch(() => {})
      try {
        await Promise.race([run, aborted])
        succeeded = true
      } catch (error) {
        failure = error
        // Wait until the handler has really stopped. After a timeout the claim is still renewed
        // meanwhile, so that no other instance starts a run beside one that ignores its signal;
        // after close or a lost claim it is not (nothing could keep it).
        if (controller.signal.aborted) await run.catch(() => {})
      }
    } finally {
      clearTimeout(timeout)
      this.#closing.signal.removeEventListener('abort', onClose)
    }

    if (succeeded) {
      this.#stats.delivered++
      // Renewals go on while the mark is retried: a slow database does not lose a completed run.
      let marked: boolean
      try {
        marked = await this.#markDelivered(held)
      } finally {
        held.end()
      }
      if (!marked) {
        log.warn({ orderNo, attempt }, 'alipayplus delivery: handled, but the claim was lost before it was marked: it may run again')
      }
      return
    }
    held.end()
    this.#stats.failed++
    await this.#failed(order, token, failure)
  }

  /** Marks a completed run delivered, again after a database error, while the claim is surely ours. */
  async #markDelivered(held: HeldClaim): Promise<boolean> {
    for (let wait = MARK_RETRY_MS; ; wait *= 2) {
      try {
        return await this.#deps.claims.markDelivered(held.token)
      } catch (error) {
        if (held.remainingMs() === 0) throw error
        this.#deps.log.warn({ err: error, orderNo: held.token.orderNo }, 'alipayplus delivery: could not mark a completed run; retrying')
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, held.remainingMs() / 2)))
      }
    }
  }

  /** Hands the claim back after a run that did not succeed: retry later, give up, or (close) give the attempt back. */
  async #failed(order: PaymentOrderRecord, token: ClaimToken, failure: unknown): Promise<void> {
    const { claims, options, log, alerts } = this.#deps
    const { orderNo, attempt } = token
    const now = this.#timing.wallClock()
    if (failure instanceof DeliveryClosedError) {
      // Interrupted, not failed: due again at once, and not counted against delivery.retries.
      await claims.release(token, { dueAt: new Date(now), giveBack: true })
      return
    }
    const delay = retryDelay(attempt, options)
    const dueAt = new Date(now + delay)
    const error = errorText(failure)
    const gaveUp = limitsReached(options, order, attempt, dueAt.getTime())
    // Not ours any more (the claim was lost and taken over): the new holder has the say.
    if (!(await claims.release(token, { dueAt, error, gaveUp }))) return
    if (attempt === options.alertAfterAttempts) alertFailing(alerts, { order, attempts: attempt, lastError: error })
    if (gaveUp) {
      this.#gaveUp(order, attempt, error, failure)
      return
    }
    log.warn({ err: failure, orderNo, attempt, retryInMs: delay }, 'alipayplus delivery: onPaymentResult failed; will retry')
    this.#scheduleRetry(orderNo, delay)
  }

  #gaveUp(order: PaymentOrderRecord, attempts: number, lastError: string | null, failure: unknown): void {
    alertExhausted(this.#deps.alerts, { order, attempts, lastError }, { err: failure ?? undefined, orderNo: order.orderNo, attempts, lastError }, this.#deps.log)
  }

  /** Retries on this instance when due; the sweep does it if this instance is gone by then. */
  #scheduleRetry(orderNo: string, delay: number): void {
    if (this.#closed) return
    clearTimeout(this.#retryTimers.get(orderNo))
    // A few ms late rather than early: the claim compares deliveryDueAt with the clock.
    const timer = setTimeout(() => {
      this.#retryTimers.delete(orderNo)
      this.#enqueue(orderNo)
    }, delay + 5)
    timer.unref()
    this.#retryTimers.set(orderNo, timer)
  }
}
