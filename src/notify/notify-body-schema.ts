import { MAX_ORDER_NO_LENGTH, ORDER_NO_PATTERN } from '../store/order-no.js'
import type { PaymentResultInput } from '../store/order-store.js'

// JSON schema of the notifyPayment body (Alipay+ ACQP docs). Unknown fields are allowed:
// Alipay+ adds fields over time and they are kept in the audit event as received.
const shortString = { type: 'string', minLength: 1, maxLength: 64 } as const

const amount = {
  type: 'object',
  required: ['currency', 'value'],
  properties: {
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    value: { type: 'string', pattern: '^(0|[1-9][0-9]{0,17})$' },
  },
} as const

export const notifyBodySchema = {
  type: 'object',
  required: ['paymentResult', 'paymentRequestId', 'acquirerId'],
  properties: {
    paymentResult: {
      type: 'object',
      required: ['resultCode', 'resultStatus'],
      properties: {
        resultCode: shortString,
        // notifyPayment reports final results only: never U.
        resultStatus: { type: 'string', enum: ['S', 'F'] },
        resultMessage: { type: 'string', maxLength: 256 },
      },
    },
    // Our orderNo: the same rule as assertOrderNo, so a bad id is a 400 here and never reaches the store.
    paymentRequestId: { type: 'string', minLength: 1, maxLength: MAX_ORDER_NO_LENGTH, pattern: ORDER_NO_PATTERN },
    paymentId: shortString,
    acquirerId: shortString,
    pspId: { type: 'string', maxLength: 64 },
    customerId: { type: 'string', maxLength: 64 },
    walletBrandName: { type: 'string', maxLength: 128 },
    paymentAmount: amount,
    paymentTime: { type: 'string', maxLength: 64 },
  },
  // A success must carry the amount: it is checked against the order before recording.
  if: {
    type: 'object',
    properties: { paymentResult: { type: 'object', properties: { resultStatus: { const: 'S' } } } },
  },
  then: { required: ['paymentAmount'] },
} as const

export interface NotifyBody {
  paymentResult: { resultCode: string; resultStatus: 'S' | 'F'; resultMessage?: string }
  paymentRequestId: string
  paymentId?: string
  acquirerId: string
  pspId?: string
  customerId?: string
  walletBrandName?: string
  paymentAmount?: { currency: string; value: string }
  paymentTime?: string
}

/** The store's input for a verified, schema-valid notification; `raw` is its exact text. */
export function notifyResult(body: NotifyBody, raw: string): PaymentResultInput {
  return {
    orderNo: body.paymentRequestId,
    source: 'notify',
    status: body.paymentResult.resultStatus === 'S' ? 'SUCCESS' : 'FAIL',
    resultCode: body.paymentResult.resultCode,
    resultMessage: body.paymentResult.resultMessage ?? null,
    paymentId: body.paymentId ?? null,
    paymentTime: body.paymentTime ?? null,
    paymentAmount: body.paymentAmount ?? null,
    payload: raw,
  }
}
