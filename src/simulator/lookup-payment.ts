// The payment a request asks about, by paymentRequestId or by paymentId as the API allows.
import type { PaymentBook, SimPayment } from './payments.js'

export function lookupPayment(body: unknown, payments: PaymentBook): { id: string | undefined; payment: SimPayment | undefined } {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  const { paymentRequestId, paymentId } = fields
  if (typeof paymentRequestId === 'string' && paymentRequestId !== '') {
    return { id: paymentRequestId, payment: payments.get(paymentRequestId) }
  }
  if (typeof paymentId === 'string' && paymentId !== '') {
    const payment = payments.getByPaymentId(paymentId)
    return { id: payment?.paymentRequestId ?? paymentId, payment }
  }
  return { id: undefined, payment: undefined }
}
