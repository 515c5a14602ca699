// Hands every final result to the application's onPaymentResult, durably. The state lives on
// the order row (deliveredAt, deliveryAttempts, deliveryError, deliveryDueAt) and a run is
// guarded by a claim (deliveryOwner until deliveryUntil, taken by one atomic updateMany and
// renewed while the handler runs), so that:
//   - a result this instance finalized is delivered at once, off the request path;
//   - the sweep (at ready, then every sweepIntervalMs) delivers what no instance did: results
//     finalized elsewhere by an instance that died, while none ran, or whose run failed;
//   - two instances never run the handler for one order at the same time, and the delivered
//     mark is written only by the claim's owner;
//   - a failed or timed-out run is retried at deliveryDueAt (p-retry's backoff), after a
//     restart too.
// At least once; exactly once unless an instance dies (or loses its claim) mid-run.
import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { DeliveryClaimLostError, DeliveryClosedError, DeliveryTimeoutError } from '../errors.js'
import { toPaymentResult } from '../polling/payment-result.js'
import type { DeliveryLimits, OrderStore } from '../store/order-store.js'
import type { PaymentOrderRecord } from '../store/prisma-types.js'
import { traceDelivery } from '../telemetry/channels.js'
import { type PaymentResultHandler, type ResolvedDeliveryOptions, retryDelay } from './delivery-options.js'

/** Longest error message kept in deliveryError. */
const MAX_ERROR_LENGTH = 500

/** Results waiting here for a free slot; beyond this the sweep finds them later. */
const MAX_QUEUED = 10_000

export interface ResultDeliveryDeps {
  store: OrderStore
  handler: PaymentResultHandler
  options: ResolvedDeliveryOptions
  log: FastifyBaseLogger
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

export class ResultDelivery {
  /** This instance's identity in deliveryOwner. */
  readonly owner = randomUUID()
  readonly #deps: ResultDeliveryDeps
  readonly #limits: DeliveryLimits
  /** Queued or running here: never twice at once in one process. */
  readonly #active = new Set<string>()
  readonly #queue: string[] = []
  readonly #running = new Map<string, Promise<void>>()
  readonly #retryTimers = new Map<string, NodeJS.Timeout>()
  /** Aborts every running handler on close. */
  readonly #closing = new AbortController()
  #sweepTimer: NodeJS.Timeout | undefined
  #pass: Promise<number> | undefined
  #sweepWhenDrained = false
  #closed = false
  readonly #stats = { runs: 0, delivered: 0, failed: 0 }

  constructor(deps: ResultDeliveryDeps) {
    this.#deps = deps
    const { retries } = deps.options
    this.#limits = Number.isFinite(retries) ? { maxAttempts: retries + 1 } : {}
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
   * Stops the sweep and the retry timers, aborts running handlers through their signal and
   * waits for them (at most timeoutMs): each gives its claim back, so another instance can
   * take the result at once.
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
        'alipayplus delivery: onPaymentResult ignored its abort signal at close; its claim expires after delivery.leaseMs',
      )
    }
    clearTimeout(timer)
  }

  async #sweep(): Promise<number> {
    if (this.#closed) return 0
    const { store, options, log } = this.#deps
    let orderNos: string[]
    try {
      orderNos = await store.findDueDeliveries(options.batchSize, this.#currentLimits())
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

  #currentLimits(): DeliveryLimits {
    const { maxRetryTime } = this.#deps.options
    if (!Number.isFinite(maxRetryTime)) return this.#limits
    return { ...this.#limits, finalizedSince: new Date(Date.now() - maxRetryTime) }
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
          // The database failed us between claim and release: the claim expires, the sweep retries.
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

  async #deliver(orderNo: string): Promise<void> {
    const { store, handler, options, log } = this.#deps
    const claimUntil = () => new Date(Date.now() + options.leaseMs)
    // Taken by another instance, delivered, not due, or beyond the retry limits: not ours.
    if (!(await store.claimDelivery(orderNo, this.owner, claimUntil(), this.#currentLimits()))) return
    const order = await store.getOrder(orderNo)
    if (order === null || order.status === 'init' || order.finalEventId === null) {
      // Cannot happen (the claim matches final orders only); give the claim back, due later.
      await store.releaseDelivery(orderNo, this.owner, { error: 'not a final order', dueAt: claimUntil() })
      return
    }
    const attempt = order.deliveryAttempts
    const controller = new AbortController()
    const onClose = () => controller.abort(new DeliveryClosedError(orderNo))
    if (this.#closing.signal.aborted) onClose()
    else this.#closing.signal.addEventListener('abort', onClose, { once: true })
    const timeout = setTimeout(() => controller.abort(new DeliveryTimeoutError(orderNo, options.timeoutMs)), options.timeoutMs)
    // Renewed well before it expires; a renewal that fails (another owner took it) aborts the run.
    const renewal = setInterval(() => {
      store.renewDelivery(orderNo, this.owner, claimUntil()).then(
        (held) => {
          if (!held) controller.abort(new DeliveryClaimLostError(orderNo))
        },
        (error: unknown) => log.warn({ err: error, orderNo }, 'alipayplus delivery: could not renew the claim'),
      )
    }, Math.floor(options.leaseMs / 3))

    this.#stats.runs++
    let failure: unknown
    let succeeded = false
    try {
      const run = traceDelivery(this, order, () =>
        Promise.resolve().then(() =>
          handler(toPaymentResult(order), {
            idempotencyKey: `${orderNo}:${order.finalEventId}`,
            attempt,
            signal: controller.signal,
          }),
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
        // Keep the claim (still renewed) until the handler has really stopped, so that no
        // other instance starts a run beside one that ignores its signal.
        if (controller.signal.aborted) await run.catch(() => {})
      }
    } finally {
      clearTimeout(timeout)
      clearInterval(renewal)
      this.#closing.signal.removeEventListener('abort', onClose)
    }

    if (succeeded) {
      this.#stats.delivered++
      if (!(await store.markDelivered(orderNo, this.owner))) {
        log.warn({ orderNo, attempt }, 'alipayplus delivery: handled, but the claim was lost before it was marked: it may run again')
      }
      return
    }
    this.#stats.failed++
    const interrupted = failure instanceof DeliveryClosedError
    const delay = interrupted ? 0 : retryDelay(attempt, options)
    const dueAt = new Date(Date.now() + delay)
    await store.releaseDelivery(orderNo, this.owner, { error: errorText(failure), dueAt })
    if (interrupted) return
    const finalizedAt = order.finalizedAt?.getTime() ?? Date.now()
    const gaveUp = attempt > options.retries || dueAt.getTime() > finalizedAt + options.maxRetryTime
    if (gaveUp) {
      log.error(
        { err: failure, orderNo, attempt },
        'alipayplus delivery: onPaymentResult failed and its retries are spent: left undelivered (see findUndelivered); raise delivery.retries/maxRetryTime or reset deliveryAttempts to retry',
      )
      return
    }
    log.warn({ err: failure, orderNo, attempt, retryInMs: delay }, 'alipayplus delivery: onPaymentResult failed; will retry')
    this.#scheduleRetry(orderNo, delay)
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
