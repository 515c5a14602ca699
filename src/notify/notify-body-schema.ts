import { MAX_SHORT_FIELD_LENGTH } from '../protocol/field-limits.js'
import { MAX_ORDER_NO_LENGTH, ORDER_NO_PATTERN } from '../store/order-no.js'
import type { PaymentResultInput } from '../store/order-store.js'

// JSON schema of the notifyPayment body (Alipay+ ACQP docs). Unknown fields are allowed:
// Alipay+ adds fields over time and they are kept in the audit event as received. It checks
// only what the plugin relies on: every other message Alipay+ can sign must be recordable, so
// optional fields may be null and descriptive ones have no length limit (the raw message is
// stored as text; the typed columns take adjusted copies, see store/recordable.ts).
const shortString = { type: 'string', minLength: 1, maxLength: MAX_SHORT_FIELD_LENGTH } as const
const optional = (schema: object) => ({ anyOf: [schema, { type: 'null' }] }) as const
const anyString = { type: 'string' } as const

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
        resultMessage: optional(anyString),
      },
    },
    // Our orderNo: the same rule as assertOrderNo, so a bad id is a 400 here and never reaches the store.
    paymentRequestId: { type: 'string', minLength: 1, maxLength: MAX_ORDER_NO_LENGTH, pattern: ORDER_NO_PATTERN },
    paymentId: optional(shortString),
    acquirerId: shortString,
    pspId: optional(anyString),
    customerId: optional(anyString),
    walletBrandName: optional(anyString),
    paymentAmount: optional(amount),
    paymentTime: optional(anyString),
  },
  // A success must carry the amount: it is checked against the order before recording.
  if: {
    type: 'object',
    properties: { paymentResult: { type: 'object', properties: { resultStatus: { const: 'S' } } } },
  },
  then: { required: ['paymentAmount'], properties: { paymentAmount: amount } },
} as const

export interface NotifyBody {
  paymentResult: { resultCode: string; resultStatus: 'S' | 'F'; resultMessage?: string | null }
  paymentRequestId: string
  paymentId?: string | null
  acquirerId: string
  pspId?: string | null
  customerId?: string | null
  walletBrandName?: string | null
  paymentAmount?: { currency: string; value: string } | null
  paymentTime?: string | null
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
