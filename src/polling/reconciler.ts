// Nothing stranded: at start and every intervalMs, orders still init and older than minAgeMs
// (a restart lost their waiter, or their notification never came) are driven to a final result
// through the same polling loop as awaitPaymentResult, behind the orders the application awaits
// (its loops yield to theirs in the inquiry limiter). Orders another instance is polling
// (live lease) are left to it, and so are orders left to a human (attention set). Nothing polled
// for ever either: an order older than maxAgeMs whose window ends without a result (Alipay+
// never learnt of it) is flagged 'gave_up' and handed to onAttention.
import type { FastifyBaseLogger } from 'fastify'
import type { AlertHook } from '../attention/alert-hook.js'
import type { ReconcileOptions } from '../options.js'
import type { OrderStore } from '../store/order-store.js'
import { reconcileFailed, traceReconcile } from '../telemetry/channels.js'
import type { PaymentPoller } from './payment-poller.js'

export class Reconciler {
  readonly #options: Required<ReconcileOptions>
  readonly #store: OrderStore
  readonly #poller: PaymentPoller
  readonly #log: FastifyBaseLogger
  readonly #alerts: AlertHook
  #timer: NodeJS.Timeout | undefined
  #pass: Promise<number> | undefined
  /** The pass queued behind a running one, shared by every call made while that one runs. */
  #next: Promise<number> | undefined
  #stopped = false

  constructor(options: Required<ReconcileOptions>, store: OrderStore, poller: PaymentPoller, log: FastifyBaseLogger, alerts: AlertHook) {
    this.#options = options
    this.#store = store
    this.#poller = poller
    this.#log = log
    this.#alerts = alerts
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
    let orderNos: string[]
    try {
      orderNos = await this.#store.findPendingOrders(new Date(Date.now() - this.#options.minAgeMs), this.#options.batchSize)
    } catch (error) {
      this.#log.error({ err: error }, 'alipayplus reconcile: could not list pending orders')
      reconcileFailed(this, error)
      return 0
    }
    let started = 0
    for (const orderNo of orderNos) {
      if (this.#stopped || this.#poller.isPolling(orderNo)) continue
      started++
      // Background: the orders the application awaits go first in the limiter's queues.
      this.#poller.awaitResult(orderNo, {}, 'background').then(
        (result) => {
          if (result.final) this.#log.info({ orderNo, status: result.status, source: result.source }, 'alipayplus reconcile: order finalized')
          else if (result.attention === undefined) return this.#giveUpIfTooOld(orderNo)
        },
        (error: { code?: string }) => {
          if (error.code !== 'FST_ALIPAYPLUS_CLOSED') this.#log.error({ err: error, orderNo }, 'alipayplus reconcile: polling failed')
        },
      )
    }
    return started
  }

  /** After a window without a result: an order past maxAgeMs is flagged and no longer picked. */
  async #giveUpIfTooOld(orderNo: string): Promise<void> {
    const { maxAgeMs } = this.#options
    try {
      const order = await this.#store.getOrder(orderNo)
      if (order === null || order.status !== 'init' || order.createdAt.getTime() > Date.now() - maxAgeMs) return
      if (!(await this.#store.setAttention(orderNo, 'gave_up'))) return
      const message = 'alipayplus reconcile: no final result for an order older than reconcile.maxAgeMs; no longer polled, left to a human'
      this.#log.error({ orderNo, createdAt: order.createdAt, maxAgeMs }, message)
      this.#alerts.emit({ kind: 'gave_up', orderNo, source: 'inquiry', attention: 'gave_up', message, createdAt: order.createdAt, maxAgeMs })
    } catch (error) {
      this.#log.error({ err: error, orderNo }, 'alipayplus reconcile: could not flag an order given up')
    }
  }
}
