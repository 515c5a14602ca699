// The payment fields Alipay+ sends both in notifyPayment and in an inquiryPayment answer. The
// payer's details (paymentId, customerId, paymentTime) come only with a success.
import type { Amount } from '../store/amount.js'
import type { Identity } from './notifier.js'
import type { SimPayment } from './payments.js'

export function paymentFields(payment: SimPayment, identity: Identity, success: boolean, amount: Amount = payment.amount) {
  return {
    paymentRequestId: payment.paymentRequestId,
    paymentId: success ? payment.paymentId : undefined,
    paymentAmount: amount,
    paymentTime: success ? payment.paymentTime : undefined,
    acquirerId: identity.acquirerId,
    pspId: identity.pspId,
    customerId: success ? payment.customerId : undefined,
    walletBrandName: identity.walletBrandName,
  }
}
