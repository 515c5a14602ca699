// Nothing stranded: at start and every intervalMs, orders still init and older than minAgeMs
// (a restart lost their waiter, or their notification never came) are driven to a final result
// through the same polling loop as awaitPaymentResult, behind the orders the application awaits
// (its loops yield to theirs in the inquiry limiter). Orders another instance is polling
// (live lease) are left to it, and so are orders left to a human (attention set).
//
// Fair turns: orders rotate by their nextCheckAt. A pass takes the never-checked first, then
// those due longest; taking one pushes its nextCheckAt past its window, and a window that ends
// without a result sets it to the next check, so the orders that never become final go to the
// back instead of starving new ones (issue M4: 10,000 abandoned checkouts ahead of a paid
// order). Nothing polled for ever either: an order whose last answer was ORDER_NOT_EXIST backs
// off (checked again after a wait as long as its age) and is flagged 'not_found' past
// notFoundGiveUpMs; any other order older than maxAgeMs whose window ends without a result is
// flagged 'gave_up'. Both are handed to onAttention. And no cancel left unanswered: an init
// order whose cancelPayment was sent and never answered (its instance stopped, lost the lease or
// its database) has the cancel sent again until Alipay+ answers.
import type { FastifyBaseLogger } from 'fastify'
import type { AttentionAlerts } from '../attention/attention-alerts.js'
import type { PollingOptions, ReconcileOptions } from '../options.js'
import type { CancelStateStore } from '../store/cancel-state.js'
import type { OrderStore } from '../store/order-store.js'
import type { PaymentOrderRecord } from '../store/prisma-types.js'
import { reconcileFailed, traceReconcile } from '../telemetry/channels.js'
import type { PaymentPoller } from './payment-poller.js'
import type { PollingRows } from './polling-rows.js'

export interface ReconcilerDeps {
  options: Required<ReconcileOptions>
  polling: Required<PollingOptions>
  store: OrderStore
  rows: PollingRows
  poller: PaymentPoller
  log: FastifyBaseLogger
  alerts: AttentionAlerts
  cancels: CancelStateStore
}

export class Reconciler {
  readonly #options: Required<ReconcileOptions>
  readonly #windowMs: number
  readonly #store: OrderStore
  readonly #rows: PollingRows
  readonly #poller: PaymentPoller
  readonly #log: FastifyBaseLogger
  readonly #alerts: AttentionAlerts
  readonly #cancels: CancelStateStore
  #timer: NodeJS.Timeout | undefined
  #pass: Promise<number> | undefined
  /** The pass queued behind a running one, shared by every call made while that one runs. */
  #next: Promise<number> | undefined
  #stopped = false

  constructor(deps: ReconcilerDeps) {
    this.#options = deps.options
    this.#windowMs = deps.polling.maxRetryTimeMs
    this.#store = deps.store
    this.#rows = deps.rows
    this.#poller = deps.poller
    this.#log = deps.log
    this.#alerts = deps.alerts
    this.#cancels = deps.cancels
  }

  start(): void {
    void this.runOnce()
    this.#timer = setInterval(() => void this.runOnce(), this.#options.intervalMs)
  }

  /**
   * A pass that starts now or, when one is running, right after it (the running one may have
   * listed the orders before the caller's order existed); resolves with the number of orders
   * it started polling. Passes never overlap; calls made while one runs share the next.
   */
  runOnce(): Promise<number> {
    if (this.#pass === undefined) {
      this.#pass = traceReconcile(this, () => this.#sweep()).finally(() => {
        this.#pass = undefined
      })
      return this.#pass
    }
    const runNext = () => {
      this.#next = undefined
      return this.runOnce()
    }
    this.#next ??= this.#pass.then(runNext, runNext)
    return this.#next
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    await this.#pass
    await this.#next
  }

  async #sweep(): Promise<number> {
    if (this.#stopped) return 0
    const resumed = await this.#resumeCancels()
    let orderNos: string[]
    try {
      orderNos = await this.#rows.findDue(new Date(Date.now() - this.#options.minAgeMs), this.#options.batchSize)
    } catch (error) {
      this.#log.error({ err: error }, 'alipayplus reconcile: could not list pending orders')
      reconcileFailed(this, error)
      return 0
    }
    let started = resumed.size
    for (const orderNo of orderNos) {
      if (this.#stopped || this.#poller.isPolling(orderNo) || this.#poller.isCancelling(orderNo) || resumed.has(orderNo)) continue
      // Its turn, taken atomically (another instance's pass may have listed it too): its next
      // check moves past the window about to start, in case this instance dies meanwhile.
      try {
        if (!(await this.#rows.takeTurn(orderNo, new Date(Date.now() + this.#windowMs + this.#options.intervalMs)))) continue
      } catch (error) {
        this.#log.error({ err: error, orderNo }, 'alipayplus reconcile: could not take an order\'s turn')
        continue
      }
      started++
      // Background: the orders the application awaits go first in the limiter's queues.
      this.#poller.awaitResult(orderNo, {}, 'background').then(
        (result) => {
          if (result.final) this.#log.info({ orderNo, status: result.status, source: result.source }, 'alipayplus reconcile: order finalized')
          else if (result.attention === undefined) return this.#afterWindow(orderNo)
        },
        (error: { code?: string }) => {
          if (error.code !== 'FST_ALIPAYPLUS_CLOSED') this.#log.error({ err: error, orderNo }, 'alipayplus reconcile: polling failed')
        },
      )
    }
    return started
  }

  /**
   * Sends again the cancels that were sent and never answered: the answer alone says whether the
   * payment stands (cancelPayment is idempotent for one paymentRequestId). Those orders are not
   * polled in the same pass: an inquiry would show a refunded payment as SUCCESS.
   */
  async #resumeCancels(): Promise<Set<string>> {
    let orderNos: string[]
    try {
      orderNos = await this.#cancels.findUnanswered(this.#options.batchSize)
    } catch (error) {
      this.#log.error({ err: error }, 'alipayplus reconcile: could not list unanswered cancels')
      return new Set()
    }
    const resumed = new Set<string>()
    for (const orderNo of orderNos) {
      if (this.#stopped || this.#poller.isCancelling(orderNo)) continue
      resumed.add(orderNo)
      this.#log.warn({ orderNo }, 'alipayplus reconcile: resuming a cancelPayment that was sent and never answered')
      this.#poller.resumeCancel(orderNo).then(
        (result) => this.#log.info({ orderNo, status: result.status, source: result.source, attention: result.attention }, 'alipayplus reconcile: cancel resumed'),
        (error: { code?: string }) => {
          if (error.code !== 'FST_ALIPAYPLUS_CLOSED') this.#log.error({ err: error, orderNo }, 'alipayplus reconcile: resuming the cancel failed')
        },
      )
    }
    return resumed
  }

  /**
   * After a window without a result: the order is given up ('not_found' past notFoundGiveUpMs
   * while Alipay+ does not know it, 'gave_up' past maxAgeMs), or its next check is set: after
   * intervalMs, or, while Alipay+ does not know it, after a wait as long as its age.
   */
  async #afterWindow(orderNo: string): Promise<void> {
    const { intervalMs, maxAgeMs, notFoundGiveUpMs, notFoundMaxWaitMs } = this.#options
    try {
      const order = await this.#store.getOrder(orderNo)
      if (order === null || order.status !== 'init' || order.attention !== null) return
      const ageMs = Date.now() - order.createdAt.getTime()
      const notFound = order.notFoundCount > 0
      if (notFound && ageMs >= notFoundGiveUpMs) return await this.#giveUpNotFound(order)
      if (ageMs >= maxAgeMs) return await this.#giveUpTooOld(order)
      const waitMs = notFound ? Math.max(intervalMs, Math.min(ageMs, notFoundMaxWaitMs)) : intervalMs
      await this.#rows.setNextCheck(orderNo, new Date(Date.now() + waitMs))
    } catch (error) {
      this.#log.error({ err: error, orderNo }, 'alipayplus reconcile: could not schedule or give up an order after its window')
    }
  }

  async #giveUpNotFound(order: PaymentOrderRecord): Promise<void> {
    const { orderNo, createdAt, notFoundCount } = order
    const { notFoundGiveUpMs } = this.#options
    if (!(await this.#store.setAttention(orderNo, 'not_found'))) return
    const message =
      'alipayplus reconcile: Alipay+ still answers ORDER_NOT_EXIST for an order older than reconcile.notFoundGiveUpMs (an abandoned checkout?); no longer polled, left to a human'
    this.#alerts.raise(
      { kind: 'not_found', orderNo, source: 'inquiry', attention: 'not_found', message, createdAt, notFoundCount, notFoundGiveUpMs },
      { orderNo, createdAt, notFoundCount, notFoundGiveUpMs },
      this.#log,
    )
  }

  async #giveUpTooOld(order: PaymentOrderRecord): Promise<void> {
    const { orderNo, createdAt } = order
    const { maxAgeMs } = this.#options
    if (!(await this.#store.setAttention(orderNo, 'gave_up'))) return
    const message = 'alipayplus reconcile: no final result for an order older than reconcile.maxAgeMs; no longer polled, left to a human'
    this.#alerts.raise(
      { kind: 'gave_up', orderNo, source: 'inquiry', attention: 'gave_up', message, createdAt, maxAgeMs },
      { orderNo, createdAt, maxAgeMs },
      this.#log,
    )
  }
}
