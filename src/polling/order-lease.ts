// A lease on the order row, so that when several application instances share one database at
// most one of them inquires about an order at a time. The claim is the store's one atomic
// updateMany: it succeeds for a free, expired or already-owned lease on an order that is still
// init. The lease only saves duplicate inquiries; results stay single through the store's
// transition whatever happens to the lease.
import { randomUUID } from 'node:crypto'
import type { OrderStore } from '../store/order-store.js'

export class OrderLease {
  readonly #store: OrderStore
  readonly #ttlMs: number
  /** This instance's identity in leaseOwner. */
  readonly owner = randomUUID()

  constructor(store: OrderStore, ttlMs: number) {
    this.#store = store
    this.#ttlMs = ttlMs
  }

  claim(orderNo: string): Promise<boolean> {
    return this.#store.claimLease(orderNo, this.owner, new Date(Date.now() + this.#ttlMs))
  }
}
