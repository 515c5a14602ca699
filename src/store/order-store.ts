// The only writer of the order and event models. Every final result goes through
// recordResult(), whose transition is Prisma's atomic
//   updateMany({ where: { orderNo, status: 'init' } })
// count === 1 means this call won; a final status never changes again. Only the model API
// is used (no raw SQL, no transactions), so it runs unchanged on every provider and with
// any table names.
import { randomUUID } from 'node:crypto'
import { DuplicateOrderError, InvalidResultError, UnknownOrderError } from '../errors.js'
import { type Amount, assertAmount } from './amount.js'
import { assertOrderNo } from './order-no.js'
import { type ModelNames, resolvePaymentModels } from './payment-models.js'
import type {
  FinalFields,
  FinalStatus,
  PaymentEventRecord,
  PaymentModels,
  PaymentOrderRecord,
  ResultSource,
  TransitionWhere,
} from './prisma-types.js'
import { columnText, columnTime, digestOf, payloadText } from './recordable.js'

export interface PaymentResultInput {
  orderNo: string
  source: ResultSource
  status: FinalStatus
  resultCode?: string | null
  resultMessage?: string | null
  paymentId?: string | null
  paymentTime?: Date | string | null
  /** The amount Alipay+ reports. Required for SUCCESS: it must equal the order's. */
  paymentAmount?: Amount | null
  /** The message as received: its raw JSON text (kept exactly), or an object (serialised). */
  payload: unknown
}

/**
 * Why a result was not applied:
 * - already_final: the order already had this same final status;
 * - conflicting_result: the order already had the other final status;
 * - amount_mismatch: a SUCCESS whose amount differs from the order's (the order stays init).
 */
export type NotAppliedReason = 'already_final' | 'conflicting_result' | 'amount_mismatch'

export interface RecordOutcome {
  /** true when this call performed the init -> final transition. */
  applied: boolean
  reason: NotAppliedReason | null
  /** The order as stored after the call: the winner's result when another call won. */
  order: PaymentOrderRecord
  /** The audit event of this message (an identical earlier message's event, counted again). */
  eventId: string
}

/** An event as the audit reads it: whether it decided its order, and why not. */
export interface AuditedEvent extends PaymentEventRecord {
  applied: boolean
}

const FINAL_STATUSES: ReadonlySet<string> = new Set(['SUCCESS', 'FAIL'])
const SOURCES: ReadonlySet<string> = new Set(['notify', 'inquiry', 'cancel', 'manual'])

// Prisma's error code for a unique constraint violation, on every provider.
const UNIQUE_VIOLATION = 'P2002'
// ... and for a foreign key violation: an event for an order that does not exist.
const FOREIGN_KEY_VIOLATION = 'P2003'

function validateResult(input: PaymentResultInput): void {
  if (typeof input !== 'object' || input === null) throw new InvalidResultError('expected an object')
  assertOrderNo(input.orderNo)
  if (!FINAL_STATUSES.has(input.status)) {
    throw new InvalidResultError(`status must be "SUCCESS" or "FAIL", got ${JSON.stringify(input.status)}`)
  }
  if (!SOURCES.has(input.source)) {
    throw new InvalidResultError(`source must be "notify", "inquiry", "cancel" or "manual", got ${JSON.stringify(input.source)}`)
  }
  if (input.status === 'SUCCESS' || input.paymentAmount != null) {
    assertAmount(input.paymentAmount, 'paymentAmount')
  }
}

/** Why this result cannot decide the order as it stands, or null when it may try. */
function decide(order: PaymentOrderRecord, input: PaymentResultInput): NotAppliedReason | null {
  if (order.status !== 'init') return order.status === input.status ? 'already_final' : 'conflicting_result'
  // Amounts never change after creation, so this check needs no lock.
  const amount = input.paymentAmount
  if (input.status === 'SUCCESS' && (amount?.value !== order.amount || amount.currency !== order.currency)) {
    return 'amount_mismatch'
  }
  return null
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION
}

function isForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === FOREIGN_KEY_VIOLATION
}

// Only what the recording path reads back from an event (its payload can be large).
const EVENT_ID = { id: true } as const
const EVENT_ID_REASON = { id: true, reason: true } as const

/**
 * Whether the delegate's client returns the rows updateMany changed (updateManyAndReturn):
 * PostgreSQL (and PGlite), CockroachDB and SQLite do; MySQL/MariaDB does not, and its client
 * still has the method (it fails when called). Prisma's delegates name their client as
 * `$parent`; a delegate that does not is given the portable updateMany and a read.
 */
function returnsUpdates(delegate: object): boolean {
  const provider = (delegate as { $parent?: { _activeProvider?: unknown } }).$parent?._activeProvider
  return provider === 'postgresql' || provider === 'cockroachdb' || provider === 'sqlite'
}

const FINAL: { in: FinalStatus[] } = { in: ['SUCCESS', 'FAIL'] }

/** Which undelivered results findUndelivered lists. */
export type UndeliveredState = 'pending' | 'gave_up' | 'all'
const UNDELIVERED_STATES: ReadonlySet<string> = new Set(['pending', 'gave_up', 'all'])
/**
 * orderNos per query when reading many orders (one bind parameter each): far under every
 * provider's limit (SQLite 999 before 3.32, 32,766 since; MySQL and PostgreSQL 65,535), and
 * small enough that each query stays cheap.
 */
export const ORDER_NOS_PER_QUERY = 500

export class OrderStore {
  readonly #orders: PaymentModels['orders']
  readonly #events: PaymentModels['events']
  readonly #onFinalized = new Set<(order: PaymentOrderRecord) => void>()

  constructor(models: PaymentModels) {
    this.#orders = models.orders
    this.#events = models.events
  }

  /** The store of a PrismaClient's two models, under their default names or those given. */
  static fromClient(prisma: object, names?: ModelNames): OrderStore {
    return new OrderStore(resolvePaymentModels(prisma, names))
  }

  /** Creates an order in status init. The amount is in minor units, as Alipay+ sends it. */
  async createOrder(input: { orderNo: string; amount: Amount }): Promise<PaymentOrderRecord> {
    assertOrderNo(input.orderNo)
    assertAmount(input.amount)
    try {
      return await this.#orders.create({
        data: { orderNo: input.orderNo, amount: input.amount.value, currency: input.amount.currency },
      })
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateOrderError(input.orderNo)
      throw error
    }
  }

  async getOrder(orderNo: string): Promise<PaymentOrderRecord | null> {
    assertOrderNo(orderNo)
    return this.#orders.findFirst({ where: { orderNo } })
  }

  /**
   * The orders of these orderNos that exist, in no particular order: one query for many reads
   * (OrderBatchReader). At most ORDER_NOS_PER_QUERY orderNos: each is a bind parameter.
   */
  async getOrders(orderNos: string[]): Promise<PaymentOrderRecord[]> {
    for (const orderNo of orderNos) assertOrderNo(orderNo)
    return this.#orders.findMany({ where: { orderNo: { in: orderNos } }, orderBy: [{ orderNo: 'asc' }], take: orderNos.length })
  }

  /**
   * The order's audit trail, oldest first: each event with `applied` (it is the event the
   * order's finalEventId names) and `reason` (why not; null on the applied event, and on an
   * event whose writer stopped before it learned the outcome).
   */
  async listEvents(orderNo: string): Promise<AuditedEvent[]> {
    assertOrderNo(orderNo)
    const [order, events] = await Promise.all([
      this.#orders.findFirst({ where: { orderNo } }),
      this.#events.findMany({ where: { orderNo }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
    ])
    return events.map((event) => ({ ...event, applied: order?.finalEventId === event.id }))
  }

  /**
   * Records a final result and its audit event. The first final result wins; later ones are
   * kept as events that say why they did not apply. Throws (writing nothing) on invalid input
   * or an unknown order.
   *
   * Statement order, so that a process stopped between any two statements leaves nothing a
   * redelivery or the next inquiry cannot finish. The common case, a first result for an init
   * order, is two statements and no read:
   *   1. write the event, with the raw message, BEFORE the transition: a final order always
   *      names an event that holds the message that decided it. Its foreign key refuses an
   *      unknown order (nothing written). An identical message already recorded (same order,
   *      same sha256) is counted on its event instead (#recordAgain), and a redelivery after a
   *      crash thus completes the very transition that was cut short;
   *   2. the transition, pointing the order at that event, `updateMany where status 'init'`
   *      and, for a SUCCESS, the order's amount and currency: a wrong amount never finalizes.
   *      It returns the order it finalized (or, on MySQL, which cannot, a read follows);
   *   3. only when it matched nothing: read the order to learn why, and say so on the event.
   */
  async recordResult(input: PaymentResultInput): Promise<RecordOutcome> {
    validateResult(input)
    const payload = payloadText(input.payload)
    const digest = digestOf(payload)
    const eventId = await this.#writeEvent(input, payload, digest)
    if (eventId === null) return this.#recordAgain(input, digest)
    return this.#finalize(input, eventId)
  }

  /**
   * Writes this message's event (reason null: it is the transition's candidate until the
   * transition says otherwise), returning its id; null when an identical message is already
   * recorded. Only the id is read back: the payload can be large.
   */
  async #writeEvent(input: PaymentResultInput, payload: string, digest: string): Promise<string | null> {
    try {
      const event = await this.#events.create({
        data: {
          id: randomUUID(),
          orderNo: input.orderNo,
          source: input.source,
          resultStatus: input.status === 'SUCCESS' ? 'S' : 'F',
          resultCode: columnText(input.resultCode),
          reason: null,
          payload,
          digest,
        },
        select: EVENT_ID,
      })
      return event.id
    } catch (error) {
      if (isUniqueViolation(error)) return null
      if (isForeignKeyViolation(error)) throw new UnknownOrderError(input.orderNo)
      throw error
    }
  }

  /**
   * An identical message again: counted on its earlier event, which gets this call's reason if
   * its writer stopped before it learned one (unless it is the event that decided the order);
   * and when the order is still init (that writer stopped before the transition), the
   * transition it did not make.
   */
  async #recordAgain(input: PaymentResultInput, digest: string): Promise<RecordOutcome> {
    const earlier = await this.#events.findFirst({ where: { orderNo: input.orderNo, digest }, select: EVENT_ID_REASON })
    // The unique index said it exists and events are never deleted.
    if (earlier === null) throw new Error(`event ${digest} of order ${input.orderNo} vanished`)
    const order = await this.#orders.findFirst({ where: { orderNo: input.orderNo } })
    if (order === null) throw new UnknownOrderError(input.orderNo)
    const reason = decide(order, input)
    const explain = reason !== null && earlier.reason === null && earlier.id !== order.finalEventId
    await this.#events.updateMany({
      where: { id: earlier.id },
      data: explain ? { deliveries: { increment: 1 }, reason } : { deliveries: { increment: 1 } },
    })
    if (reason !== null) return { applied: false, reason, order, eventId: earlier.id }
    return this.#finalize(input, earlier.id)
  }

  /** The transition to this event; when it matches nothing, why not, also said on the event. */
  async #finalize(input: PaymentResultInput, eventId: string): Promise<RecordOutcome> {
    const now = new Date()
    const final: FinalFields = {
      status: input.status,
      paymentId: columnText(input.paymentId),
      resultCode: columnText(input.resultCode),
      resultMessage: columnText(input.resultMessage),
      resultSource: input.source,
      paymentTime: columnTime(input.paymentTime),
      finalizedAt: now,
      finalEventId: eventId,
      updatedAt: now,
    }
    const finalized = await this.#transition(input, final)
    if (finalized !== null) {
      // Durable now: tell the listeners (the plugin's delivery), which must not throw or block.
      for (const listener of this.#onFinalized) listener(finalized)
      return { applied: true, reason: null, order: finalized, eventId }
    }

    const order = await this.#orders.findFirst({ where: { orderNo: input.orderNo } })
    if (order === null) throw new UnknownOrderError(input.orderNo)
    // An identical message delivered concurrently won with this same event: nothing to explain.
    if (order.finalEventId === eventId) return { applied: false, reason: 'already_final', order, eventId }
    // Final: decided by another result. Still init: the transition's only other condition, the
    // amount, did not match (amounts never change, and are checked as strictly validated text).
    const reason = decide(order, input) ?? 'amount_mismatch'
    await this.#events.updateMany({ where: { id: eventId, reason: null }, data: { reason } })
    return { applied: false, reason, order, eventId }
  }

  // Whether the client can return the rows updateMany changed; learnt on first use.
  #returnsUpdates: boolean | undefined

  /**
   * The atomic init -> final transition: the order it finalized, or null when it matched
   * nothing (not init, or a SUCCESS whose amount or currency differs from the order's).
   */
  async #transition(input: PaymentResultInput, final: FinalFields): Promise<PaymentOrderRecord | null> {
    const amount = input.status === 'SUCCESS' ? input.paymentAmount : null
    const where: TransitionWhere = amount
      ? { orderNo: input.orderNo, status: 'init', amount: amount.value, currency: amount.currency }
      : { orderNo: input.orderNo, status: 'init' }
    this.#returnsUpdates ??= returnsUpdates(this.#orders)
    if (this.#returnsUpdates && this.#orders.updateManyAndReturn) {
      const [finalized] = await this.#orders.updateManyAndReturn({ where, data: final })
      return finalized ?? null
    }
    const { count } = await this.#orders.updateMany({ where, data: final })
    if (count === 0) return null
    // A final order never changes its result again: this read sees the transition just made.
    const finalized = await this.#orders.findFirst({ where: { orderNo: input.orderNo } })
    if (finalized === null) throw new UnknownOrderError(input.orderNo)
    return finalized
  }

  /**
   * Those of `orderNos` that are final, ORDER_NOS_PER_QUERY at a time. For the wake-up's
   * catch-up: which awaited orders did we miss?
   */
  async findFinalOrders(orderNos: readonly string[]): Promise<PaymentOrderRecord[]> {
    const found: PaymentOrderRecord[] = []
    for (let start = 0; start < orderNos.length; start += ORDER_NOS_PER_QUERY) {
      const chunk = orderNos.slice(start, start + ORDER_NOS_PER_QUERY)
      found.push(
        ...(await this.#orders.findMany({ where: { orderNo: { in: chunk }, status: FINAL }, orderBy: [{ orderNo: 'asc' }], take: chunk.length })),
      )
    }
    return found
  }

  /**
   * Calls `listener` with the order after every init -> final transition this store performs,
   * once it is committed. Returns the function that removes the listener.
   */
  onFinalized(listener: (order: PaymentOrderRecord) => void): () => void {
    this.#onFinalized.add(listener)
    return () => void this.#onFinalized.delete(listener)
  }

  /**
   * Final results that onPaymentResult has not (yet) handled successfully, oldest first.
   * `state`: 'pending' (waiting for their first or next run, or being run), 'gave_up' (dead
   * letters: retries used up, never run again until retryDelivery), or 'all' (default).
   */
  async findUndelivered(options: { limit?: number; state?: UndeliveredState } = {}): Promise<PaymentOrderRecord[]> {
    const state = options.state ?? 'all'
    if (!UNDELIVERED_STATES.has(state)) {
      throw new InvalidResultError(`state must be "pending", "gave_up" or "all", got ${JSON.stringify(state)}`)
    }
    return this.#orders.findMany({
      where: {
        status: FINAL,
        deliveredAt: null,
        ...(state === 'pending' ? { deliveryGaveUpAt: null } : state === 'gave_up' ? { deliveryGaveUpAt: { not: null } } : {}),
      },
      orderBy: [{ finalizedAt: 'asc' }, { orderNo: 'asc' }],
      take: options.limit ?? 100,
    })
  }

  /**
   * Hands a dead letter back to delivery (after fixing what made onPaymentResult fail): its run
   * count starts again from 0, with the whole delivery.retries budget, and the sweep delivers
   * it. true when the order was given up and is now pending again.
   */
  async retryDelivery(orderNo: string): Promise<boolean> {
    assertOrderNo(orderNo)
    const { count } = await this.#orders.updateMany({
      where: { orderNo, deliveredAt: null, deliveryGaveUpAt: { not: null } },
      data: { deliveryGaveUpAt: null, deliveryAttempts: 0, deliveryDueAt: null },
    })
    return count === 1
  }

  /**
   * Leaves an init order to a human: sets `attention` to why, unless the order is final or
   * already flagged (the first reason stays). true when this call set it. The reconciler no
   * longer picks the order; awaitPaymentResult still may.
   */
  async setAttention(orderNo: string, reason: string): Promise<boolean> {
    assertOrderNo(orderNo)
    if (typeof reason !== 'string' || reason === '') throw new InvalidResultError('attention must be a non-empty string')
    const { count } = await this.#orders.updateMany({
      where: { orderNo, status: 'init', attention: null },
      data: { attention: reason, updatedAt: new Date() },
    })
    return count === 1
  }

  /**
   * Hands an init order back to the plugin once a human has looked (attention back to null):
   * the reconciler picks it again. true when the order was init and is now unflagged.
   */
  async clearAttention(orderNo: string): Promise<boolean> {
    assertOrderNo(orderNo)
    const { count } = await this.#orders.updateMany({
      where: { orderNo, status: 'init' },
      data: { attention: null, updatedAt: new Date() },
    })
    return count === 1
  }

  /** Init orders left to a human (attention set), oldest first. */
  async findOrdersNeedingAttention(limit = 100): Promise<PaymentOrderRecord[]> {
    if (!Number.isInteger(limit) || limit <= 0) throw new InvalidResultError('limit must be a positive integer')
    return this.#orders.findMany({
      where: { status: 'init', attention: { not: null } },
      orderBy: [{ createdAt: 'asc' }, { orderNo: 'asc' }],
      take: limit,
    })
  }
}
