// A lease on the order row, so that when several application instances share one database at
// most one of them inquires about an order at a time. The claim is the store's one atomic
// updateMany: it succeeds for a free, expired or already-owned lease on an order that is still
// init. The lease only saves duplicate inquiries; results stay single through the store's
// transition whatever happens to the lease.
//
// A lease that holds: each claim lasts until the holder's next call could come (the wait its
// schedule makes before it, and its turn at the per-second cap) plus `marginMs` (leaseMs: the
// call itself, a slot held by slow calls or a traffic-limit pause, and how long a crashed
// instance's order waits to be taken over). When the holder is done it lets go, so that
// another instance need not wait for the lease to lapse.
import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { OrderStore } from '../store/order-store.js'

export class OrderLease {
  readonly #store: OrderStore
  readonly #marginMs: number
  readonly #log: FastifyBaseLogger
  /** This instance's identity in leaseOwner. */
  readonly owner = randomUUID()

  constructor(store: OrderStore, marginMs: number, log: FastifyBaseLogger) {
    this.#store = store
    this.#marginMs = marginMs
    this.#log = log
  }

  /** The lease of one order for one holder (a polling loop, a cancel). */
  hold(orderNo: string): LeaseHold {
    return new LeaseHold(orderNo, this.owner, this.#store, this.#marginMs, this.#log)
  }
}

export class LeaseHold {
  readonly orderNo: string
  readonly #owner: string
  readonly #store: OrderStore
  readonly #marginMs: number
  readonly #log: FastifyBaseLogger
  /** leaseUntil as this holder last set it; null while it holds nothing. */
  #until: Date | null = null

  constructor(orderNo: string, owner: string, store: OrderStore, marginMs: number, log: FastifyBaseLogger) {
    this.orderNo = orderNo
    this.#owner = owner
    this.#store = store
    this.#marginMs = marginMs
    this.#log = log
  }

  /** Takes or renews the lease until `nextCallInMs` + the margin from now; false: not ours to take. */
  async claim(nextCallInMs: number): Promise<boolean> {
    const until = new Date(Date.now() + nextCallInMs + this.#marginMs)
    if (!(await this.#store.claimLease(this.orderNo, this.#owner, until))) return false
    this.#until = until
    return true
  }

  /**
   * Lets the lease go, unless another holder of this instance has renewed it since (the store
   * matches leaseUntil as this holder set it). Never throws: if the database fails, the lease
   * simply lapses at leaseUntil.
   */
  async release(): Promise<void> {
    const until = this.#until
    if (until === null) return
    this.#until = null
    try {
      await this.#store.releaseLease(this.orderNo, this.#owner, until)
    } catch (error) {
      this.#log.error({ err: error, orderNo: this.orderNo }, 'alipayplus: could not release the polling lease; it lapses at leaseUntil')
    }
  }
}
