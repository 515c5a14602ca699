// The baseline the portable store is measured against: the previous design's recordResult,
// the whole decision as ONE PostgreSQL statement (`git show ee416e7:src/store/order-store.ts`),
// adapted to the current columns: payload as text with its sha256 digest, deliveries counted
// on an identical message, reason null on the winner, finalEventId set by the UPDATE.
//
// It is no longer the store because it is PostgreSQL-only (CTEs with data-modifying
// statements, enum casts, ON CONFLICT) and names the tables "PaymentOrder" and "PaymentEvent"
// in its SQL, so it breaks on MySQL/MariaDB and SQLite and with renamed or @@map-ped models.
// src/store/order-store.ts now uses Prisma's model API only (read, event, updateMany), at the
// price of three round trips instead of one; bench/notify.ts measures that price.
import { randomUUID } from 'node:crypto'
import type { PrismaClient } from '../../generated/prisma/client.js'
import { InvalidResultError, UnknownOrderError } from '../../src/errors.js'
import { assertAmount } from '../../src/store/amount.js'
import type { NotAppliedReason, PaymentResultInput, RecordOutcome } from '../../src/store/order-store.js'
import { assertOrderNo } from '../../src/store/order-no.js'
import type { PaymentOrderRecord } from '../../src/store/prisma-types.js'
import { columnText, columnTime, digestOf, payloadText } from '../../src/store/recordable.js'

type Row = PaymentOrderRecord & { applied: boolean; reason: NotAppliedReason | null; eventId: string }

export class SingleStatementStore {
  readonly #prisma: PrismaClient

  constructor(prisma: PrismaClient) {
    this.#prisma = prisma
  }

  /** Same contract as OrderStore.recordResult, in one statement (one round trip, one commit). */
  async recordResult(input: PaymentResultInput): Promise<RecordOutcome> {
    // The same input checks as the store's validateResult.
    if (typeof input !== 'object' || input === null) throw new InvalidResultError('expected an object')
    assertOrderNo(input.orderNo)
    if (input.status !== 'SUCCESS' && input.status !== 'FAIL') throw new InvalidResultError('status must be "SUCCESS" or "FAIL"')
    if (input.status === 'SUCCESS' || input.paymentAmount != null) assertAmount(input.paymentAmount, 'paymentAmount')

    const now = new Date()
    const row = await this.#record(input, randomUUID(), now)
    if (row === undefined) throw new UnknownOrderError(input.orderNo)
    const { applied, reason, eventId, ...current } = row
    if (applied) {
      const order: PaymentOrderRecord = {
        ...current,
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
      return { applied: true, reason: null, order, eventId }
    }
    // The statement saw the order init but another call's UPDATE won the row: report the winner.
    const order =
      current.status === 'init' && reason !== 'amount_mismatch'
        ? await this.#prisma.paymentOrder.findFirstOrThrow({ where: { orderNo: input.orderNo } })
        : current
    return { applied: false, reason: reason ?? 'already_final', order, eventId }
  }

  /**
   * Reads the order, decides (final already, or a SUCCESS with another amount), makes the
   * transition (the UPDATE is exactly updateMany({ where: { orderNo, status: 'init' } }), which
   * PostgreSQL re-checks on the locked row) and inserts the audit event, or counts an identical
   * message on its earlier event. Nothing is written, and no row returned, for an unknown order.
   * An identical message (same digest) can only meet an order that its first delivery already
   * decided, so the conflict path never makes a transition.
   */
  async #record(input: PaymentResultInput, eventId: string, now: Date): Promise<Row | undefined> {
    const payload = payloadText(input.payload)
    const digest = digestOf(payload)
    const resultStatus = input.status === 'SUCCESS' ? 'S' : 'F'
    const checkAmount = input.status === 'SUCCESS'
    const rows = await this.#prisma.$queryRaw<Row[]>`
      WITH current AS (
        SELECT * FROM "PaymentOrder" WHERE "orderNo" = ${input.orderNo}
      ), decision AS (
        SELECT CASE
            WHEN "status" <> 'init' THEN
              CASE WHEN "status" = ${input.status}::"PaymentStatus" THEN 'already_final' ELSE 'conflicting_result' END
            WHEN ${checkAmount}::boolean AND ("amount" <> ${input.paymentAmount?.value ?? ''}::text
              OR "currency" <> ${input.paymentAmount?.currency ?? ''}::text) THEN 'amount_mismatch'
          END AS "reason"
        FROM current
      ), transition AS (
        UPDATE "PaymentOrder" SET
          "status" = ${input.status}::"PaymentStatus",
          "paymentId" = ${columnText(input.paymentId)},
          "resultCode" = ${columnText(input.resultCode)},
          "resultMessage" = ${columnText(input.resultMessage)},
          "resultSource" = ${input.source}::"ResultSource",
          "paymentTime" = ${columnTime(input.paymentTime)},
          "finalizedAt" = ${now},
          "finalEventId" = ${eventId},
          "updatedAt" = ${now}
        WHERE "orderNo" = ${input.orderNo} AND "status" = 'init'
          AND EXISTS (SELECT 1 FROM decision WHERE "reason" IS NULL)
        RETURNING "orderNo"
      ), event AS (
        INSERT INTO "PaymentEvent" ("id", "orderNo", "source", "resultStatus", "resultCode", "reason", "payload", "digest", "createdAt")
        SELECT ${eventId}, ${input.orderNo}, ${input.source}::"ResultSource", ${resultStatus}, ${columnText(input.resultCode)},
          CASE WHEN EXISTS (SELECT 1 FROM transition) THEN NULL ELSE COALESCE("reason", 'already_final') END,
          ${payload}, ${digest}, ${now}
        FROM decision
        ON CONFLICT ("orderNo", "digest") DO UPDATE SET "deliveries" = "PaymentEvent"."deliveries" + 1
        RETURNING "id", "reason"
      )
      SELECT EXISTS (SELECT 1 FROM transition) AS "applied", event."reason", event."id" AS "eventId", current.*
      FROM event, current`
    return rows[0]
  }
}
