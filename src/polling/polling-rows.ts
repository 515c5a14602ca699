// The order row's polling columns, written only by the polling layer and never by the
// application (so not on the public OrderStore): the lease that keeps two instances from
// inquiring about one order at once (leaseOwner, leaseUntil), the reconciler's turn
// (nextCheckAt) and how many answers in a row were ORDER_NOT_EXIST (notFoundCount). Each write
// is one atomic updateMany of the model API, so it runs unchanged on every provider.
//
// Times are this instance's Date.now(): a lease another instance wrote is compared with this
// instance's clock (see docs/reconciler.md, "Clock skew", for the bound that stays safe).
import type { NotFoundCountChange, PaymentModels, ReconcilableWhere } from '../store/prisma-types.js'

/** The ORDER_NOT_EXIST count's change to write with a claim or a release; undefined: none. */
export type NotFoundChange = NotFoundCountChange | undefined

export class PollingRows {
  readonly #orders: PaymentModels['orders']

  constructor(models: PaymentModels) {
    this.#orders = models.orders
  }

  /**
   * Takes or renews the polling lease of an order that is still init: one atomic updateMany
   * that matches a free, expired or already-owned lease, and that writes what the holder's last
   * answer said of notFoundCount. false: the order is final, unknown, or another owner's lease
   * is live.
   */
  async claimLease(orderNo: string, owner: string, until: Date, notFound?: NotFoundChange): Promise<boolean> {
    const now = new Date()
    const { count } = await this.#orders.updateMany({
      where: { orderNo, status: 'init', OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }, { leaseOwner: owner }] },
      data: { leaseOwner: owner, leaseUntil: until, ...(notFound === undefined ? {} : { notFoundCount: notFound }) },
    })
    return count === 1
  }

  /**
   * Lets go of a polling lease: clears it if `owner` still holds it with leaseUntil exactly
   * `until` (as that holder set it), whatever the order's status, writing the holder's last
   * notFoundCount change with it. Matching leaseUntil keeps a holder that is done from clearing
   * the lease another holder of the same instance has just renewed. false: nothing to release.
   */
  async releaseLease(orderNo: string, owner: string, until: Date, notFound?: NotFoundChange): Promise<boolean> {
    const { count } = await this.#orders.updateMany({
      where: { orderNo, leaseOwner: owner, leaseUntil: until },
      data: { leaseOwner: null, leaseUntil: null, ...(notFound === undefined ? {} : { notFoundCount: notFound }) },
    })
    return count === 1
  }

  /**
   * The orders whose reconcile turn has come: init, not left to a human (attention null),
   * created at or before `createdBefore`, free of any live lease, due (nextCheckAt null or
   * past), and with no cancel waiting for its answer. Never-checked first, then the longest due, then the oldest: an order that was just
   * checked goes to the back, so the old orders that never become final cannot starve new ones.
   */
  async findDue(createdBefore: Date, limit: number): Promise<string[]> {
    const rows = await this.#orders.findMany({
      where: { ...reconcilable(new Date()), createdAt: { lte: createdBefore } },
      orderBy: [{ nextCheckAt: { sort: 'asc', nulls: 'first' } }, { createdAt: 'asc' }],
      take: limit,
    })
    return rows.map((row) => row.orderNo)
  }

  /**
   * Takes the reconciler's turn at a listed order: moves its nextCheckAt to `next`, if it is still
   * init, unflagged, free and due (another instance's reconciler may have taken it since it was
   * listed). true: this instance polls it now.
   */
  async takeTurn(orderNo: string, next: Date): Promise<boolean> {
    const { count } = await this.#orders.updateMany({ where: { ...reconcilable(new Date()), orderNo }, data: { nextCheckAt: next } })
    return count === 1
  }

  /** When the reconciler checks this init order next (after a window without a final result). */
  async setNextCheck(orderNo: string, at: Date): Promise<boolean> {
    const { count } = await this.#orders.updateMany({ where: { orderNo, status: 'init' }, data: { nextCheckAt: at } })
    return count === 1
  }
}

/**
 * Init, unflagged, free of any live lease, due, and with no cancel sent and unanswered: such an
 * order is the cancel's to resume (Reconciler, resumeCancels), never polled, since an inquiry
 * would show a payment the cancel refunded as SUCCESS. Listing it here too would race the
 * resumption: its lease can lapse between the two queries of one pass.
 */
function reconcilable(now: Date): ReconcilableWhere {
  return {
    status: 'init',
    attention: null,
    AND: [
      { OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }] },
      { OR: [{ nextCheckAt: null }, { nextCheckAt: { lte: now } }] },
      { OR: [{ cancelState: null }, { cancelState: { not: 'sent' } }] },
    ],
  }
}
