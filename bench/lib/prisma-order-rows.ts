// The harness's bulk work through a Prisma client of any provider (MariaDB and SQLite from the
// benchmark process, SQLite and PGlite inside the server process that holds them): createMany
// in chunks small enough for every provider's limit on bound parameters, all in one
// transaction (on SQLite with its default synchronous journal, a commit per chunk is ~10 times
// slower), and two counts.
import type { PrismaClient } from '../../generated/prisma/client.js'
import type { OrderRows } from './database.js'

/**
 * Typed as the PostgreSQL client: the model calls below are the same on every provider's
 * generated client, and a union of the three clients' overloads is not callable.
 */
export type BenchPrisma = PrismaClient

const CHUNK = 2_000

export function prismaOrderRows(prisma: BenchPrisma): OrderRows {
  return {
    async insertOrders(orderNos, amount = { currency: 'USD', value: '100' }) {
      await prisma.$transaction(
        async (tx) => {
          for (let i = 0; i < orderNos.length; i += CHUNK) {
            await tx.paymentOrder.createMany({
              data: orderNos.slice(i, i + CHUNK).map((orderNo) => ({ orderNo, amount: amount.value, currency: amount.currency })),
            })
          }
        },
        { timeout: 300_000, maxWait: 60_000 },
      )
    },
    async countRun(prefix) {
      const where = { orderNo: { startsWith: prefix } }
      const [firstTransitions, messages] = await Promise.all([
        prisma.paymentOrder.count({ where: { ...where, status: { not: 'init' }, finalEventId: { not: null } } }),
        prisma.paymentEvent.aggregate({ where, _sum: { deliveries: true } }),
      ])
      return { firstTransitions, messages: messages._sum.deliveries ?? 0 }
    },
  }
}
