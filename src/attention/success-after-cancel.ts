// A payment recorded SUCCESS after a cancelPayment was sent for it may have been refunded by
// Alipay+ (a cancel of a paid payment is a full refund): the merchant would ship goods it was
// not paid for. Whichever path records that SUCCESS (a notification, an inquiry, the
// application, on any instance), the order is flagged 'success_after_cancel' and onAttention
// hears of it. The flag is one atomic update (attention null -> set), so the paths that notice
// it race harmlessly: one alert per order, and one more when Alipay+ confirms the cancel later.
import type { FastifyBaseLogger } from 'fastify'
import { type CancelStateStore, mayBeCancelled, SUCCESS_AFTER_CANCEL } from '../store/cancel-state.js'
import type { OrderStore } from '../store/order-store.js'
import type { PaymentOrderRecord } from '../store/prisma-types.js'
import type { AttentionAlerts } from './attention-alerts.js'

export interface SuccessAfterCancelDeps {
  store: OrderStore
  cancels: CancelStateStore
  alerts: AttentionAlerts
  log: FastifyBaseLogger
}

export class SuccessAfterCancel {
  readonly #deps: SuccessAfterCancelDeps

  constructor(deps: SuccessAfterCancelDeps) {
    this.#deps = deps
  }

  /**
   * For an order just recorded (or found) SUCCESS: flags it and raises the alert when a cancel
   * was sent or confirmed for it and nobody has flagged it yet. `always`: alert even when it was
   * flagged already (Alipay+ has just confirmed the cancel: new facts). Never throws: a database
   * error is logged, with the order left for the reconciler's and the audit's eyes.
   */
  async check(orderNo: string, options: { always?: boolean } = {}): Promise<void> {
    const { store, cancels, log } = this.#deps
    try {
      const flagged = await cancels.flagSuccessAfterCancel(orderNo)
      if (!flagged && options.always !== true) return
      const order = await store.getOrder(orderNo)
      if (order !== null && order.status === 'SUCCESS' && mayBeCancelled(order)) this.#raise(order, flagged)
    } catch (error) {
      log.error({ err: error, orderNo }, 'alipayplus: could not check a SUCCESS for a cancel sent before it; see cancelState on the order')
    }
  }

  #raise(order: PaymentOrderRecord & { cancelState: 'sent' | 'confirmed' }, flagged: boolean): void {
    const refunded = order.cancelState === 'confirmed' ? 'Alipay+ confirmed the cancel: the payment is refunded' : 'Alipay+ may have refunded it'
    const message = `alipayplus: payment recorded SUCCESS after a cancelPayment was sent; ${refunded}; needs a human`
    this.#deps.alerts.raise(
      {
        kind: 'success_after_cancel',
        orderNo: order.orderNo,
        // Recorded SUCCESS: its source is set.
        source: order.resultSource ?? 'cancel',
        attention: flagged ? SUCCESS_AFTER_CANCEL : null,
        message,
        cancelState: order.cancelState,
        cancelSentAt: order.cancelSentAt,
      },
      { orderNo: order.orderNo, source: order.resultSource, cancelState: order.cancelState, cancelSentAt: order.cancelSentAt },
      this.#deps.log,
    )
  }
}
