// A lease on the order row, so that when several application instances share one database at
// most one of them inquires about an order at a time. The claim is one atomic UPDATE: it
// succeeds for a free, expired or already-owned lease on an order that is still init. The
// lease only saves duplicate inquiries; results stay single through the store's transition
// whatever happens to the lease.
import { randomUUID } from 'node:crypto'
import type { PaymentPrismaClient } from '../store/prisma-types.js'

export class OrderLease {
  readonly #prisma: PaymentPrismaClient
  readonly #ttlMs: number
  /** This instance's identity in leaseOwner. */
  readonly owner = randomUUID()

  constructor(prisma: PaymentPrismaClient, ttlMs: number) {
    this.#prisma = prisma
    this.#ttlMs = ttlMs
  }

  async claim(orderNo: string): Promise<boolean> {
    const now = new Date()
    const { count } = await this.#prisma.paymentOrder.updateMany({
      where: {
        orderNo,
        status: 'init',
        OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }, { leaseOwner: this.owner }],
      },
      data: { leaseOwner: this.owner, leaseUntil: new Date(now.getTime() + this.#ttlMs) },
    })
    return count === 1
  }
}
