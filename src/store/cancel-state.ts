// What the plugin knows about an order's cancelPayment, kept on the order row so that it
// survives the process: 'sent' is written BEFORE the first call leaves (a cancel whose answer
// never came may have been executed: a refund, for a paid payment), 'confirmed' once Alipay+
// answered S, 'refused' once it answered F (the cancel did not happen). An init order still
// 'sent' is resumed (cancelPayment is idempotent for one paymentRequestId); a SUCCESS order
// that is 'sent' or 'confirmed' may have been refunded: it is flagged for a human. Each write is
// one atomic updateMany, on every provider, like the rest of the store.
import { assertOrderNo } from './order-no.js'
import type { PaymentOrderDelegate, PaymentOrderRecord } from './prisma-types.js'

export type CancelState = 'sent' | 'confirmed' | 'refused'

/** The attention of a SUCCESS order whose payment Alipay+ may have refunded. */
export const SUCCESS_AFTER_CANCEL = 'success_after_cancel'

/** The states in which Alipay+ may have cancelled the payment (refunded it, if paid). */
const MAY_BE_CANCELLED: { in: CancelState[] } = { in: ['sent', 'confirmed'] }

/** Whether Alipay+ may have cancelled (refunded) this order's payment. */
export function mayBeCancelled(order: PaymentOrderRecord): order is PaymentOrderRecord & { cancelState: 'sent' | 'confirmed' } {
  return order.cancelState === 'sent' || order.cancelState === 'confirmed'
}

export class CancelStateStore {
  readonly #orders: PaymentOrderDelegate

  constructor(orders: PaymentOrderDelegate) {
    this.#orders = orders
  }

  /**
   * Records "cancel sent, outcome unknown" on an order that is still init. true: recorded, the
   * call may go; false: the order is final (or unknown), so no cancel may be sent.
   */
  async markSent(orderNo: string, at: Date): Promise<boolean> {
    assertOrderNo(orderNo)
    const { count } = await this.#orders.updateMany({ where: { orderNo, status: 'init' }, data: { cancelState: 'sent', cancelSentAt: at } })
    return count === 1
  }

  /** The definite answer of a sent cancel (whatever the order's status by now). */
  async settle(orderNo: string, state: 'confirmed' | 'refused'): Promise<boolean> {
    const { count } = await this.#orders.updateMany({ where: { orderNo, cancelState: 'sent' }, data: { cancelState: state } })
    return count === 1
  }

  /**
   * Flags a SUCCESS order whose cancel was sent or confirmed: true when this call set its
   * attention (the first to notice; it was null), false when it was already flagged or is not such
   * an order.
   */
  async flagSuccessAfterCancel(orderNo: string): Promise<boolean> {
    const { count } = await this.#orders.updateMany({
      where: { orderNo, status: 'SUCCESS', cancelState: MAY_BE_CANCELLED, attention: null },
      data: { attention: SUCCESS_AFTER_CANCEL },
    })
    return count === 1
  }

  /**
   * Init orders whose cancel was sent and never answered, not left to a human, whose polling
   * lease is free: the oldest cancel first. The reconciler resumes them.
   */
  async findUnanswered(limit: number): Promise<string[]> {
    const now = new Date()
    const rows = await this.#orders.findMany({
      where: { status: 'init', cancelState: 'sent', attention: null, OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }] },
      orderBy: [{ cancelSentAt: 'asc' }, { orderNo: 'asc' }],
      take: limit,
    })
    return rows.map((row) => row.orderNo)
  }
}
