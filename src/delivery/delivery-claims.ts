// The delivery state of the order rows, written by onPaymentResult's runs only: the sweep's
// batch, the claim on one run, its renewal, the delivered mark, the release after a run that
// did not succeed, and the dead letter. Internal to the plugin (not on the public store).
//
// A claim is a compare-and-set on the run count the row was read with: it writes
// deliveryAttempts = read + 1, so the run knows its number from its own claim (never from a
// later read), and that number is the claim's fencing token: every later write of the run
// matches deliveryOwner AND deliveryAttempts, so a run that lost its claim can never renew,
// mark or release the claim of the run that took over, even on the same instance.
import type { DeliveryDueWhere, FinalStatus, PaymentOrderDelegate, PaymentOrderRecord } from '../store/prisma-types.js'

const FINAL: { in: FinalStatus[] } = { in: ['SUCCESS', 'FAIL'] }

/** Who holds a claim, and on which run: the fencing token of every write after the claim. */
export interface ClaimToken {
  orderNo: string
  owner: string
  /** The run's number: deliveryAttempts as this claim wrote it. */
  attempt: number
}

/** How a run that did not succeed hands its claim back. */
export interface Release {
  /** When the next run is due. */
  dueAt: Date
  /** The failure kept in deliveryError; undefined leaves the last one as it is. */
  error?: string
  /** The run never started, or close() interrupted it: it does not count against delivery.retries. */
  giveBack?: boolean
  /** Retries are used up: a dead letter from now on, never picked by the sweep. */
  gaveUp?: boolean
}

/** Due and claimed by nobody live, by this instance's clock (see docs/delivery.md on clock skew). */
function dueForDelivery(now: Date): DeliveryDueWhere {
  return {
    status: FINAL,
    deliveredAt: null,
    deliveryGaveUpAt: null,
    AND: [
      { OR: [{ deliveryUntil: null }, { deliveryUntil: { lt: now } }] },
      { OR: [{ deliveryDueAt: null }, { deliveryDueAt: { lte: now } }] },
    ],
  }
}

export class DeliveryClaims {
  readonly #orders: PaymentOrderDelegate
  /** This instance's wall clock: deliveryUntil and deliveryDueAt are written, and compared, with it. */
  readonly wallClock: () => number

  /** `wallClock`: Date.now; a test may offset it to play an instance whose clock is off. */
  constructor(orders: PaymentOrderDelegate, wallClock: () => number = Date.now) {
    this.#orders = orders
    this.wallClock = wallClock
  }

  #now(): Date {
    return new Date(this.wallClock())
  }

  /** Results due for a run and claimed by nobody live, never-failed first, then by due time: the sweep's batch. */
  async findDue(limit: number): Promise<string[]> {
    const rows = await this.#orders.findMany({
      where: dueForDelivery(this.#now()),
      orderBy: [{ deliveryDueAt: { sort: 'asc', nulls: 'first' } }, { finalizedAt: 'asc' }],
      take: limit,
    })
    return rows.map((row) => row.orderNo)
  }

  read(orderNo: string): PromiseLike<PaymentOrderRecord | null> {
    return this.#orders.findFirst({ where: { orderNo } })
  }

  /**
   * Claims the next run of `row` (as read) for `owner` until `until`: one atomic updateMany that
   * matches only if the row is still due, unclaimed and at the run count it was read with.
   * The run's number, or null: another instance claimed it first, or it is no longer due.
   */
  async claim(row: PaymentOrderRecord, owner: string, until: Date): Promise<number | null> {
    const attempt = row.deliveryAttempts + 1
    const { count } = await this.#orders.updateMany({
      where: { ...dueForDelivery(this.#now()), orderNo: row.orderNo, deliveryAttempts: row.deliveryAttempts },
      data: { deliveryOwner: owner, deliveryUntil: until, deliveryAttempts: attempt },
    })
    return count === 1 ? attempt : null
  }

  /** Extends the claim while its run goes on. false: it is no longer this run's. */
  async renew(token: ClaimToken, until: Date): Promise<boolean> {
    const { count } = await this.#orders.updateMany({ where: claimed(token), data: { deliveryUntil: until } })
    return count === 1
  }

  /**
   * Marks the result delivered if the claim is still this run's. A mark whose answer was lost
   * (the connection failed after the commit) is recognised on the retry: the row is delivered
   * at this run's number, which no other claim can have produced.
   */
  async markDelivered(token: ClaimToken): Promise<boolean> {
    const { count } = await this.#orders.updateMany({
      where: claimed(token),
      data: { deliveredAt: this.#now(), deliveryOwner: null, deliveryUntil: null, deliveryError: null, deliveryRequestedBy: null },
    })
    if (count === 1) return true
    const row = await this.read(token.orderNo)
    return row?.deliveredAt != null && row.deliveryAttempts === token.attempt
  }

  /** Hands the claim back after a run that did not succeed. false: it was no longer this run's. */
  async release(token: ClaimToken, release: Release): Promise<boolean> {
    const { count } = await this.#orders.updateMany({
      where: claimed(token),
      data: {
        deliveryOwner: null,
        deliveryUntil: null,
        deliveryDueAt: release.dueAt,
        ...(release.error === undefined ? {} : { deliveryError: release.error }),
        ...(release.giveBack ? { deliveryAttempts: token.attempt - 1 } : {}),
        ...(release.gaveUp ? { deliveryGaveUpAt: this.#now() } : {}),
      },
    })
    return count === 1
  }

  /**
   * Gives up a result that is past the retry limits without a run (its last run was cut short
   * by a crash, or the limits were lowered): the same compare-and-set as a claim. true when
   * this call made it a dead letter.
   */
  async giveUp(row: PaymentOrderRecord): Promise<boolean> {
    const { count } = await this.#orders.updateMany({
      where: { ...dueForDelivery(this.#now()), orderNo: row.orderNo, deliveryAttempts: row.deliveryAttempts },
      data: { deliveryGaveUpAt: this.#now() },
    })
    return count === 1
  }
}

function claimed(token: ClaimToken) {
  return { orderNo: token.orderNo, deliveryOwner: token.owner, deliveryAttempts: token.attempt, deliveredAt: null }
}
