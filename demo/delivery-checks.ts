// What the demo says about onPaymentResult: read from the database (deliveredAt and
// deliveryAttempts on each order, written by whichever instance ran the handler) and from the
// handlers' own log, then checked: every final order handled exactly once, and every run
// that failed on purpose retried to exactly one success.
import type { PrismaClient } from '../generated/prisma/client.js'
import type { HandlerLog } from './handler-log.js'

export interface DeliveryFigures {
  /** Final orders, and those the database marks delivered. */
  final: number
  delivered: number
  /** Handler runs of these orders that returned, over all instances. */
  successfulRuns: number
  /** Final orders whose handler succeeded more than once, or never (or not marked delivered). */
  duplicates: number
  missing: number
  /** Orders whose first run threw on purpose, and those of them delivered by run 2. */
  failedOnPurpose: number
  retried: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

type DeliveryRow = { orderNo: string; status: string; deliveredAt: Date | null; deliveryAttempts: number }

function readRows(prisma: PrismaClient, orderNos: string[]): Promise<DeliveryRow[]> {
  return prisma.paymentOrder.findMany({
    where: { orderNo: { in: orderNos } },
    select: { orderNo: true, status: true, deliveredAt: true, deliveryAttempts: true },
  })
}

/** Waits (at most timeoutMs) until the database marks every final order delivered. */
export async function waitForDeliveries(prisma: PrismaClient, orderNos: string[], timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    const rows = await readRows(prisma, orderNos)
    if (rows.every((row) => row.status === 'init' || row.deliveredAt !== null)) return
    await sleep(100)
  }
}

export async function deliveryFigures(prisma: PrismaClient, orderNos: string[], log: HandlerLog): Promise<DeliveryFigures> {
  const rows = (await readRows(prisma, orderNos)).filter((row) => row.status !== 'init')
  const successes = log.successes()
  const once = (row: DeliveryRow) => successes.get(row.orderNo) === 1 && row.deliveredAt !== null
  const failed = rows.filter((row) => log.failFirst.has(row.orderNo))
  return {
    final: rows.length,
    delivered: rows.filter((row) => row.deliveredAt !== null).length,
    successfulRuns: rows.reduce((sum, row) => sum + (successes.get(row.orderNo) ?? 0), 0),
    duplicates: rows.filter((row) => (successes.get(row.orderNo) ?? 0) > 1).length,
    missing: rows.filter((row) => (successes.get(row.orderNo) ?? 0) === 0 || row.deliveredAt === null).length,
    failedOnPurpose: failed.length,
    // Run 1 threw, run 2 (on either instance) succeeded, and nothing ran after it.
    retried: failed.filter((row) => once(row) && row.deliveryAttempts === 2).length,
  }
}
