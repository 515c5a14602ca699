import type { PaymentOrderRecord, PaymentStatus, ResultSource } from '../store/prisma-types.js'

/** What awaitPaymentResult resolves with. */
export interface PaymentResult {
  orderNo: string
  status: PaymentStatus
  /** false only when the polling window ended with the order still init. */
  final: boolean
  source: ResultSource | null
  paymentId?: string
  resultCode?: string
  resultMessage?: string
  paymentTime?: Date
  /** Why an init order was left to a human (amount_mismatch, cancel_refused, gave_up, ...). */
  attention?: string
}

export function toPaymentResult(order: PaymentOrderRecord): PaymentResult {
  const result: PaymentResult = {
    orderNo: order.orderNo,
    status: order.status,
    final: order.status !== 'init',
    source: order.resultSource,
  }
  if (order.paymentId !== null) result.paymentId = order.paymentId
  if (order.resultCode !== null) result.resultCode = order.resultCode
  if (order.resultMessage !== null) result.resultMessage = order.resultMessage
  if (order.paymentTime !== null) result.paymentTime = order.paymentTime
  if (order.status === 'init' && order.attention !== null) result.attention = order.attention
  return result
}
