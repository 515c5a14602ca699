// fastify.alipayplus.admin: what an operator needs to see and repair without SQL. Every action
// is one conditional updateMany (or the store's own transition), so it is idempotent and safe
// when two operators, or two instances, act on one order at once; every action is logged with
// who asked. Delivery changes are picked up by the delivery sweep of whichever instance runs
// it; this instance sweeps at once.
import type { FastifyBaseLogger } from 'fastify'
import { AdminInputError, UnknownOrderError } from '../errors.js'
import type { Lane } from '../polling/payment-poller.js'
import type { PaymentResult } from '../polling/payment-result.js'
import type { ResultHub } from '../polling/result-hub.js'
import type { AuditedEvent, OrderStore } from '../store/order-store.js'
import { assertOrderNo } from '../store/order-no.js'
import type { FinalStatus, PaymentOrderRecord } from '../store/prisma-types.js'
import { type AdminOrderDelegate, FINAL } from './admin-models.js'
import { assertView, countQuery, cursorOf, ORDER_VIEWS, type OrderView, viewQuery } from './order-views.js'

export { ORDER_VIEWS, type OrderView }

export interface AdminDeps {
  orders: AdminOrderDelegate
  store: OrderStore
  hub: ResultHub
  /** Starts (or joins) the order's polling loop; resolves when it ends. */
  poll(orderNo: string, lane: Lane): Promise<PaymentResult>
  /** Runs a delivery sweep on this instance now; null without onPaymentResult. */
  sweepDeliveries: (() => Promise<number>) | null
  log: FastifyBaseLogger
  /** An init order older than this is `stuck` (default: the polling window). */
  stuckAfterMs: number
}

export interface ListOrdersOptions {
  view: OrderView
  /** 1 to 500. Default 50. */
  limit?: number
  /** The `next` cursor of the previous page. */
  after?: string
}

export interface OrderPage {
  orders: PaymentOrderRecord[]
  /** Cursor of the next page; null on the last one. */
  next: string | null
}

export interface OrderDetail {
  order: PaymentOrderRecord
  /** The audit trail: every message received for the order, oldest first. */
  events: AuditedEvent[]
}

/** Who did it: required on every action, kept in the log (and on the event of a resolve). */
export interface Actor {
  by: string
}

export interface ActionOutcome {
  /** false: nothing to do (already in the asked state, or not applicable: see reason). */
  changed: boolean
  reason: string | null
  order: PaymentOrderRecord
}

const MAX_LIMIT = 500

function assertActor(actor: Actor | undefined): string {
  const by = actor?.by
  if (typeof by !== 'string' || by.trim() === '' || by.length > 200) {
    throw new AdminInputError('by', 'must name who does this (a non-empty string of at most 200 characters)')
  }
  return by
}

export class AdminApi {
  readonly #deps: AdminDeps

  constructor(deps: AdminDeps) {
    this.#deps = deps
  }

  async listOrders(options: ListOrdersOptions): Promise<OrderPage> {
    const { view, limit = 50, after } = options ?? ({} as ListOrdersOptions)
    assertView(view)
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new AdminInputError('limit', `must be an integer from 1 to ${MAX_LIMIT}`)
    if (after !== undefined && typeof after !== 'string') throw new AdminInputError('after', 'must be the `next` string of a previous page')
    const query = viewQuery(view, { after, now: Date.now(), stuckAfterMs: this.#deps.stuckAfterMs })
    // One more than asked: tells whether a next page exists without a count.
    const rows = await this.#deps.orders.findMany({ ...query, take: limit + 1 })
    const orders = rows.slice(0, limit)
    return { orders, next: rows.length > limit ? cursorOf(view, orders[orders.length - 1]!) : null }
  }

  /** How many orders each view holds: one count query per view. */
  async countOrders(): Promise<Record<OrderView, number>> {
    const now = Date.now()
    const counts = await Promise.all(ORDER_VIEWS.map((view) => this.#deps.orders.count(countQuery(view, now, this.#deps.stuckAfterMs))))
    return Object.fromEntries(ORDER_VIEWS.map((view, i) => [view, counts[i]!])) as Record<OrderView, number>
  }

  async getOrder(orderNo: string): Promise<OrderDetail> {
    const order = await this.#order(orderNo)
    return { order, events: await this.#deps.store.listEvents(orderNo) }
  }

  /**
   * A final result whose delivery failed or gave up: due now, its attempts counted afresh, the
   * same idempotency key. Not applicable to a delivered result (see redeliver) or an init order.
   */
  async retryDelivery(orderNo: string, actor: Actor): Promise<ActionOutcome> {
    const by = assertActor(actor)
    const { count } = await this.#deps.orders.updateMany({
      where: { orderNo: this.#orderNo(orderNo), status: FINAL, deliveredAt: null },
      data: { deliveryAttempts: 0, deliveryGaveUpAt: null, deliveryDueAt: null, deliveryRequestedBy: by },
    })
    return this.#afterDeliveryChange('retryDelivery', orderNo, by, count, 'not an undelivered final result')
  }

  /**
   * An already delivered result handed to onPaymentResult again (context.manual true), with the
   * same idempotency key: for a handler whose effect was lost downstream.
   */
  async redeliver(orderNo: string, actor: Actor): Promise<ActionOutcome> {
    const by = assertActor(actor)
    const { count } = await this.#deps.orders.updateMany({
      where: { orderNo: this.#orderNo(orderNo), status: FINAL, deliveredAt: { not: null } },
      data: { deliveredAt: null, deliveryAttempts: 0, deliveryGaveUpAt: null, deliveryDueAt: null, deliveryError: null, deliveryRequestedBy: by },
    })
    return this.#afterDeliveryChange('redeliver', orderNo, by, count, 'not delivered yet (or not final): nothing to deliver again')
  }

  /**
   * Gives every undelivered result finalized since `since` (only the given-up ones with
   * onlyExhausted) a fresh start, as retryDelivery does for one. Resolves with how many.
   */
  async recoverDeliveries(options: { since: Date; onlyExhausted?: boolean } & Actor): Promise<number> {
    const by = assertActor(options)
    if (!(options.since instanceof Date) || Number.isNaN(options.since.getTime())) throw new AdminInputError('since', 'must be a valid Date')
    const { count } = await this.#deps.orders.updateMany({
      where: {
        status: FINAL,
        deliveredAt: null,
        finalizedAt: { gte: options.since },
        ...(options.onlyExhausted ? { deliveryGaveUpAt: { not: null } } : {}),
      },
      data: { deliveryAttempts: 0, deliveryGaveUpAt: null, deliveryDueAt: null, deliveryRequestedBy: by },
    })
    this.#deps.log.info({ action: 'recoverDeliveries', by, since: options.since, onlyExhausted: options.onlyExhausted === true, count }, 'alipayplus admin: deliveries recovered')
    if (count > 0) void this.#sweep()
    return count
  }

  /**
   * An init order handed back to the plugin: its attention cleared, its reconcile turn reset,
   * and a polling loop started now (in the background; its result is recorded as usual).
   */
  async reinquire(orderNo: string, actor: Actor): Promise<ActionOutcome> {
    const by = assertActor(actor)
    const { count } = await this.#deps.orders.updateMany({
      where: { orderNo: this.#orderNo(orderNo), status: 'init' },
      data: { attention: null, nextCheckAt: null, notFoundCount: 0, updatedAt: new Date() },
    })
    const order = await this.#order(orderNo)
    this.#deps.log.info({ action: 'reinquire', orderNo, by, changed: count === 1 }, 'alipayplus admin: re-inquiry requested')
    if (count === 0) return { changed: false, reason: 'already final', order }
    this.#deps.poll(orderNo, 'background').catch((error: unknown) => {
      this.#deps.log.warn({ err: error, orderNo }, 'alipayplus admin: the re-inquiry ended without a result')
    })
    return { changed: true, reason: null, order }
  }

  /**
   * An operator's final result for an order still init, recorded through the same transition
   * as every other result (the first final result wins), with an audit event of source
   * `manual` that keeps the note and who decided; then delivered like any other result. A
   * SUCCESS is recorded with the order's own amount: the operator vouches for the money.
   */
  async resolve(orderNo: string, input: { status: FinalStatus; note: string } & Actor): Promise<ActionOutcome> {
    const by = assertActor(input)
    if (input.status !== 'SUCCESS' && input.status !== 'FAIL') throw new AdminInputError('status', 'must be "SUCCESS" or "FAIL"')
    if (typeof input.note !== 'string' || input.note.trim() === '') throw new AdminInputError('note', 'must say why (a non-empty string)')
    const order = await this.#order(orderNo)
    const recorded = await this.#deps.store.recordResult({
      orderNo,
      source: 'manual',
      status: input.status,
      resultCode: `MANUAL_${input.status}`,
      resultMessage: input.note.slice(0, 500),
      paymentAmount: input.status === 'SUCCESS' ? { currency: order.currency, value: order.amount } : null,
      payload: { manual: { status: input.status, note: input.note, by, at: new Date().toISOString() } },
    })
    this.#deps.log.info({ action: 'resolve', orderNo, by, status: input.status, applied: recorded.applied, reason: recorded.reason }, 'alipayplus admin: order resolved by hand')
    // Waiters on this instance wake at once; other instances through the wake-up channel.
    if (recorded.applied) this.#deps.hub.publish(recorded.order)
    return { changed: recorded.applied, reason: recorded.reason, order: recorded.order }
  }

  async #afterDeliveryChange(action: string, orderNo: string, by: string, count: number, why: string): Promise<ActionOutcome> {
    const order = await this.#order(orderNo)
    this.#deps.log.info({ action, orderNo, by, changed: count === 1 }, `alipayplus admin: ${action}`)
    if (count === 0) return { changed: false, reason: why, order }
    void this.#sweep()
    return { changed: true, reason: null, order }
  }

  async #sweep(): Promise<void> {
    try {
      await this.#deps.sweepDeliveries?.()
    } catch (error) {
      // The periodic sweep (of any instance) picks it up.
      this.#deps.log.warn({ err: error }, 'alipayplus admin: the delivery sweep failed; the next one delivers')
    }
  }

  #orderNo(orderNo: string): string {
    assertOrderNo(orderNo)
    return orderNo
  }

  async #order(orderNo: string): Promise<PaymentOrderRecord> {
    const order = await this.#deps.orders.findFirst({ where: { orderNo: this.#orderNo(orderNo) } })
    if (order === null) throw new UnknownOrderError(orderNo)
    return order
  }
}
