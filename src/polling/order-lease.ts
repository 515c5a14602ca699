// A lease on the order row, so that when several application instances share one database at
// most one of them inquires about an order at a time. The claim is one atomic updateMany (see
// PollingRows): it succeeds for a free, expired or already-owned lease on an order that is
// still init. The lease only saves duplicate inquiries; results stay single through the store's
// transition whatever happens to the lease.
//
// A lease that holds: each claim lasts until the holder's next call could come (the wait its
// schedule makes before it, and its turn at the per-second cap) plus `marginMs` (leaseMarginMs: the
// call itself, a slot held by slow calls or a traffic-limit pause, and how long a crashed
// instance's order waits to be taken over). When the holder is done it lets go, so that
// another instance need not wait for the lease to lapse.
//
// Clocks: leaseUntil is written from the holder's wall clock and compared with the claimer's.
// The holder itself judges its lease by its monotonic clock from the moment it sent the claim
// (isLive): it makes a call only while the lease has at least the margin left, so that a
// claimer whose wall clock is ahead of the holder's by less than the margin cannot take a lease
// the holder is still using (docs/reconciler.md, "Clock skew").
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { FastifyBaseLogger } from 'fastify'
import type { NotFoundChange, PollingRows } from './polling-rows.js'

/** Claim attempts of this instance's holders, and how many another instance's live lease refused. */
export interface LeaseStats {
  claims: number
  refused: number
}

export class OrderLease {
  readonly #rows: PollingRows
  readonly marginMs: number
  readonly #log: FastifyBaseLogger
  /** This instance's identity in leaseOwner. */
  readonly owner = randomUUID()
  readonly stats: LeaseStats = { claims: 0, refused: 0 }

  constructor(rows: PollingRows, marginMs: number, log: FastifyBaseLogger) {
    this.#rows = rows
    this.marginMs = marginMs
    this.#log = log
  }

  /** The lease of one order for one holder (a polling loop, a cancel). */
  hold(orderNo: string): LeaseHold {
    return new LeaseHold(orderNo, this.owner, this.#rows, this.marginMs, this.#log, this.stats)
  }
}

export class LeaseHold {
  readonly orderNo: string
  readonly #owner: string
  readonly #rows: PollingRows
  readonly #marginMs: number
  readonly #log: FastifyBaseLogger
  readonly #stats: LeaseStats
  /** leaseUntil as this holder last set it; null while it holds nothing. */
  #until: Date | null = null
  /** performance.now() when the last successful claim was sent, and how long it lasts from then. */
  #claimedAt = 0
  #lastsMs = 0
  /** What this holder's answers say of notFoundCount, not written yet (written with the next claim or the release). */
  #notFound: NotFoundChange

  constructor(orderNo: string, owner: string, rows: PollingRows, marginMs: number, log: FastifyBaseLogger, stats: LeaseStats) {
    this.orderNo = orderNo
    this.#owner = owner
    this.#rows = rows
    this.#marginMs = marginMs
    this.#log = log
    this.#stats = stats
  }

  /**
   * Takes or renews the lease until `nextCallInMs` + the margin from now; false: not ours to
   * take, or not usable. A claim whose answer came back so late that the margin is eaten (a slow
   * database) is renewed once, so that a true claim always leaves the holder its margin.
   */
  async claim(nextCallInMs: number): Promise<boolean> {
    if (!(await this.#claimOnce(nextCallInMs))) return false
    if (this.isLive()) return true
    // Ours, but too late to use: renewed once, and used only if that answer came in time.
    return (await this.#claimOnce(nextCallInMs)) && this.isLive()
  }

  /**
   * True while, by this holder's monotonic clock since it sent its claim, the lease has at least
   * the margin left: only then may it start a call under it.
   */
  isLive(): boolean {
    return this.#until !== null && performance.now() - this.#claimedAt <= this.#lastsMs - this.#marginMs
  }

  /** Notes an answer of Alipay+ about the order: ORDER_NOT_EXIST (true) or one that knows it (false). */
  answered(notFound: boolean): void {
    if (!notFound) this.#notFound = 0
    else this.#notFound = { increment: (this.#notFound === undefined || this.#notFound === 0 ? 0 : this.#notFound.increment) + 1 }
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
      await this.#rows.releaseLease(this.orderNo, this.#owner, until, this.#takeNotFound())
    } catch (error) {
      this.#log.error({ err: error, orderNo: this.orderNo }, 'alipayplus: could not release the polling lease; it lapses at leaseUntil')
    }
  }

  async #claimOnce(nextCallInMs: number): Promise<boolean> {
    const lastsMs = nextCallInMs + this.#marginMs
    const claimedAt = performance.now()
    const until = new Date(Date.now() + lastsMs)
    const notFound = this.#notFound
    this.#stats.claims++
    if (!(await this.#rows.claimLease(this.orderNo, this.#owner, until, notFound))) {
      this.#stats.refused++
      return false
    }
    if (this.#notFound === notFound) this.#notFound = undefined
    this.#until = until
    this.#claimedAt = claimedAt
    this.#lastsMs = lastsMs
    return true
  }

  #takeNotFound(): NotFoundChange {
    const notFound = this.#notFound
    this.#notFound = undefined
    return notFound
  }
}
