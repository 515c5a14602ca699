// The only writer of PaymentOrder and PaymentEvent. Every final result goes through
// recordResult(), whose transition is the atomic
//   UPDATE "PaymentOrder" ... WHERE "orderNo" = ? AND status = 'init'
// (Prisma updateMany; count === 1 means this call won). A final status never changes again.
import { randomUUID } from 'node:crypto'
import { DuplicateOrderError, InvalidResultError, UnknownOrderError } from '../errors.js'
import { type Amount, assertAmount } from './amount.js'
import { assertOrderNo } from './order-no.js'
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
    const eventId = randomUUID()
    const now = new Date()
    const row = await this.#record(input, eventId, now)
    if (row === undefined) throw new UnknownOrderError(input.orderNo)
    const { applied, reason, ...current } = row
    if (applied) {
      const order: PaymentOrderRecord = {
        ...current,
        status: input.status,
        paymentId: input.paymentId ?? null,
        resultCode: input.resultCode ?? null,
        resultMessage: input.resultMessage ?? null,
        resultSource: input.source,
        paymentTime: toDateOrNull(input.paymentTime),
        finalizedAt: now,
        finalEventId: eventId,
        updatedAt: now,
      }
      return { applied: true, reason: null, order, eventId }
    }
    // The statement saw the order init but another call's UPDATE won the row: report the winner.
    const order =
      reason === 'already_final' && current.status === 'init'
        ? await this.#prisma.paymentOrder.findFirstOrThrow({ where: { orderNo: input.orderNo } })
        : current
    return { applied: false, reason: reason ?? 'already_final', order, eventId }
  }

  /**
   * The whole decision as ONE statement: read the order, check the amount (on SUCCESS), make
   * the transition, and insert the audit event saying whether it applied and why not. The
   * UPDATE is exactly updateMany({ where: { orderNo, status: 'init' } }); PostgreSQL re-checks
   * that WHERE on the locked row, so of concurrent calls exactly one matches. A single
   * statement is its own transaction: atomic, one round trip, and no pooled connection held
   * across round trips (under load, Prisma's interactive and batch $transaction both wait for a
   * pooled connection and fail with P2028, as test/store/race.test.ts showed before this
   * design). Returns nothing, and writes nothing, for an unknown order. Amounts never change
   * after creation, so the check needs no lock.
   */
  async #record(input: PaymentResultInput, eventId: string, now: Date) {
    const resultStatus = input.status === 'SUCCESS' ? 'S' : 'F'
    const checkAmount = input.status === 'SUCCESS'
    const rows = await this.#prisma.$queryRaw<Array<PaymentOrderRecord & { applied: boolean; reason: NotAppliedReason | null }>>`
      WITH current AS (
        SELECT * FROM "PaymentOrder" WHERE "orderNo" = ${input.orderNo}
      ), decision AS (
        SELECT CASE
            WHEN ${checkAmount}::boolean AND ("amount" <> ${input.paymentAmount?.value ?? ''}::text
              OR "currency" <> ${input.paymentAmount?.currency ?? ''}::text) THEN 'amount_mismatch'
            WHEN "status" <> 'init' THEN 'already_final'
          END AS "reason"
        FROM current
      ), transition AS (
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
          AND EXISTS (SELECT 1 FROM decision WHERE "reason" IS NULL)
        RETURNING "orderNo"
      ), event AS (
        INSERT INTO "PaymentEvent" ("id", "orderNo", "source", "resultStatus", "resultCode", "applied", "reason", "payload", "createdAt")
        SELECT ${eventId}, ${input.orderNo}, ${input.source}::"ResultSource", ${resultStatus}, ${input.resultCode ?? null},
          EXISTS (SELECT 1 FROM transition),
          CASE WHEN EXISTS (SELECT 1 FROM transition) THEN NULL ELSE COALESCE("reason", 'already_final') END,
          ${JSON.stringify(input.payload ?? {})}::jsonb, ${now}
        FROM decision
        RETURNING "applied", "reason"
      )
      SELECT event."applied", event."reason", current.* FROM event, current`
    return rows[0]
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
