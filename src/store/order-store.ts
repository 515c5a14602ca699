// The only writer of PaymentOrder and PaymentEvent. Every final result goes through
// recordResult(), whose transition is the atomic
//   UPDATE "PaymentOrder" ... WHERE "orderNo" = ? AND status = 'init'
// (Prisma updateMany; count === 1 means this call won). A final status never changes again.
import { randomUUID } from 'node:crypto'
import { DuplicateOrderError, InvalidOrderNoError, InvalidResultError, UnknownOrderError } from '../errors.js'
import { type Amount, assertAmount, sameAmount } from './amount.js'
import type {
  FinalStatus,
  PaymentEventRecord,
  PaymentOrderRecord,
  PaymentPrismaClient,
  ResultSource,
} from './prisma-types.js'

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
  /** The raw message, kept in the audit event. Must be JSON-serialisable. */
  payload: unknown
}

/** Why a result was not applied. */
export type NotAppliedReason = 'already_final' | 'amount_mismatch'

export interface RecordOutcome {
  /** true when this call performed the init -> final transition. */
  applied: boolean
  reason: NotAppliedReason | null
  /** The order as stored after the call: the winner's result when applied is false. */
  order: PaymentOrderRecord
  eventId: string
}

const FINAL_STATUSES: ReadonlySet<string> = new Set(['SUCCESS', 'FAIL'])
const SOURCES: ReadonlySet<string> = new Set(['notify', 'inquiry'])

export function assertOrderNo(orderNo: unknown): asserts orderNo is string {
  // Alipay+ paymentRequestId: at most 64 characters.
  if (typeof orderNo !== 'string' || orderNo.length === 0 || orderNo.length > 64) {
    throw new InvalidOrderNoError(`orderNo must be a string of 1 to 64 characters, got ${JSON.stringify(orderNo)}`)
  }
}

function toDateOrNull(value: Date | string | null | undefined): Date | null {
  if (value == null) return null
  const date = value instanceof Date ? value : new Date(value)
  // An unreadable timestamp is not a reason to lose a payment result: it stays in the payload.
  return Number.isNaN(date.getTime()) ? null : date
}

function validateResult(input: PaymentResultInput): void {
  if (typeof input !== 'object' || input === null) throw new InvalidResultError('expected an object')
  assertOrderNo(input.orderNo)
  if (!FINAL_STATUSES.has(input.status)) {
    throw new InvalidResultError(`status must be "SUCCESS" or "FAIL", got ${JSON.stringify(input.status)}`)
  }
  if (!SOURCES.has(input.source)) {
    throw new InvalidResultError(`source must be "notify" or "inquiry", got ${JSON.stringify(input.source)}`)
  }
  if (input.status === 'SUCCESS' || input.paymentAmount != null) {
    assertAmount(input.paymentAmount, 'paymentAmount')
  }
}

export class OrderStore {
  readonly #prisma: PaymentPrismaClient

  constructor(prisma: PaymentPrismaClient) {
    this.#prisma = prisma
  }

  /** Creates an order in status init. The amount is in minor units, as Alipay+ sends it. */
  async createOrder(input: { orderNo: string; amount: Amount }): Promise<PaymentOrderRecord> {
    assertOrderNo(input.orderNo)
    assertAmount(input.amount)
    try {
      return await this.#prisma.paymentOrder.create({
        data: { orderNo: input.orderNo, amount: input.amount.value, currency: input.amount.currency },
      })
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') throw new DuplicateOrderError(input.orderNo)
      throw error
    }
  }

  async getOrder(orderNo: string): Promise<PaymentOrderRecord | null> {
    assertOrderNo(orderNo)
    return this.#prisma.paymentOrder.findFirst({ where: { orderNo } })
  }

  async listEvents(orderNo: string): Promise<PaymentEventRecord[]> {
    assertOrderNo(orderNo)
    return this.#prisma.paymentEvent.findMany({ where: { orderNo }, orderBy: { createdAt: 'asc' } })
  }

  /**
   * Records a final result and its audit event. The first final result wins; later ones are
   * kept as events with applied = false. Throws (writing nothing) on invalid input or an
   * unknown order.
   */
  async recordResult(input: PaymentResultInput): Promise<RecordOutcome> {
    validateResult(input)
    const current = await this.#prisma.paymentOrder.findFirst({ where: { orderNo: input.orderNo } })
    if (current === null) throw new UnknownOrderError(input.orderNo)

    const eventId = randomUUID()
    const event = {
      id: eventId,
      orderNo: input.orderNo,
      source: input.source,
      resultStatus: input.status === 'SUCCESS' ? 'S' : 'F',
      resultCode: input.resultCode ?? null,
      payload: input.payload ?? {},
    }
    const orderAmount: Amount = { currency: current.currency, value: current.amount }

    // Amounts never change after creation, so this read decides the check for good.
    if (input.status === 'SUCCESS' && !sameAmount(input.paymentAmount!, orderAmount)) {
      await this.#prisma.paymentEvent.create({ data: { ...event, applied: false, reason: 'amount_mismatch' } })
      return { applied: false, reason: 'amount_mismatch', order: current, eventId }
    }
    // Duplicates (the common case for redelivered notifications) cost one insert.
    if (current.status !== 'init') {
      await this.#prisma.paymentEvent.create({ data: { ...event, applied: false, reason: 'already_final' } })
      return { applied: false, reason: 'already_final', order: current, eventId }
    }

    const finalizedAt = new Date()
    const applied = await this.#transition(input, event.id, finalizedAt, orderAmount)
    if (!applied) {
      // Another call won between our read and our UPDATE: report what it stored.
      const order = await this.#prisma.paymentOrder.findFirstOrThrow({ where: { orderNo: input.orderNo } })
      return { applied: false, reason: 'already_final', order, eventId }
    }
    const order: PaymentOrderRecord = {
      ...current,
      status: input.status,
      paymentId: input.paymentId ?? null,
      resultCode: input.resultCode ?? null,
      resultMessage: input.resultMessage ?? null,
      resultSource: input.source,
      paymentTime: toDateOrNull(input.paymentTime),
      finalizedAt,
      finalEventId: eventId,
      updatedAt: finalizedAt,
    }
    return { applied: true, reason: null, order, eventId }
  }

  /**
   * The transition and its audit event as ONE statement: the UPDATE is exactly
   * updateMany({ where: { orderNo, status: 'init' } }) (plus the amount, which never
   * changes), and the INSERT records whether it matched a row. A single statement is its
   * own transaction, so the pair is atomic without holding a pooled connection across round
   * trips: under load, Prisma's interactive and batch $transaction both wait for a pooled
   * connection and fail with P2028 (measured by test/store/race.test.ts before this design).
   * Returns true when this call won.
   */
  async #transition(input: PaymentResultInput, eventId: string, now: Date, amount: Amount): Promise<boolean> {
    const resultStatus = input.status === 'SUCCESS' ? 'S' : 'F'
    const rows = await this.#prisma.$queryRaw<Array<{ orderNo: string }>>`
      WITH transition AS (
        UPDATE "PaymentOrder" SET
          "status" = ${input.status}::"PaymentStatus",
          "paymentId" = ${input.paymentId ?? null},
          "resultCode" = ${input.resultCode ?? null},
          "resultMessage" = ${input.resultMessage ?? null},
          "resultSource" = ${input.source}::"ResultSource",
          "paymentTime" = ${toDateOrNull(input.paymentTime)},
          "finalizedAt" = ${now},
          "finalEventId" = ${eventId},
          "updatedAt" = ${now}
        WHERE "orderNo" = ${input.orderNo} AND "status" = 'init'
          AND "amount" = ${amount.value} AND "currency" = ${amount.currency}
        RETURNING "orderNo"
      ), event AS (
        INSERT INTO "PaymentEvent" ("id", "orderNo", "source", "resultStatus", "resultCode", "applied", "reason", "payload", "createdAt")
        SELECT ${eventId}, ${input.orderNo}, ${input.source}::"ResultSource", ${resultStatus}, ${input.resultCode ?? null},
          EXISTS (SELECT 1 FROM transition),
          CASE WHEN EXISTS (SELECT 1 FROM transition) THEN NULL ELSE 'already_final' END,
          ${JSON.stringify(input.payload ?? {})}::jsonb, ${now}
      )
      SELECT "orderNo" FROM transition`
    return rows.length === 1
  }

  /**
   * Orders still init, created at or before `createdBefore`, whose polling lease is free:
   * never-leased first, then the longest-expired, so every stranded order gets its turn.
   */
  async findPendingOrders(createdBefore: Date, limit: number): Promise<string[]> {
    const now = new Date()
    const rows = await this.#prisma.paymentOrder.findMany({
      where: { status: 'init', createdAt: { lte: createdBefore }, OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }] },
      orderBy: [{ leaseUntil: { sort: 'asc', nulls: 'first' } }, { createdAt: 'asc' }],
      take: limit,
      select: { orderNo: true },
    })
    return rows.map((row) => row.orderNo)
  }
}
