import { MAX_SHORT_FIELD_LENGTH, shortFieldProblem } from '../protocol/field-limits.js'
import { isAmount } from '../store/amount.js'
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
    acquirerId: shortString,
  },
  // The payment's details are checked on a success only, which must carry the amount (compared
  // with the order's before recording). A failure uses none of them: whatever they hold, it is
  // recordable (a malformed one stays in the payload, out of the typed columns), or Alipay+
  // would get a 400 and deliver it again for ever.
  if: {
    type: 'object',
    properties: { paymentResult: { type: 'object', properties: { resultStatus: { const: 'S' } } } },
  },
  then: {
    required: ['paymentAmount'],
    properties: {
      paymentId: optional(shortString),
      pspId: optional(anyString),
      customerId: optional(anyString),
      walletBrandName: optional(anyString),
      paymentAmount: amount,
      paymentTime: optional(anyString),
    },
  },
} as const

/** A body the schema accepted: the payment's details are as typed on S, and unchecked on F. */
export interface NotifyBody {
  paymentResult: { resultCode: string; resultStatus: 'S' | 'F'; resultMessage?: string | null }
  paymentRequestId: string
  acquirerId: string
  paymentId?: unknown
  pspId?: unknown
  customerId?: unknown
  walletBrandName?: unknown
  paymentAmount?: unknown
  paymentTime?: unknown
}

/** What a verified, schema-valid notification reports: the store's input; `raw` is its exact text. */
export function notifyResult(body: NotifyBody, raw: string): PaymentResultInput {
  const success = body.paymentResult.resultStatus === 'S'
  const { paymentId, paymentAmount, paymentTime } = body
  return {
    orderNo: body.paymentRequestId,
    source: 'notify',
    status: success ? 'SUCCESS' : 'FAIL',
    resultCode: body.paymentResult.resultCode,
    resultMessage: body.paymentResult.resultMessage ?? null,
    // Checked by the schema on S; kept on F only when they are what they should be.
    paymentId: typeof paymentId === 'string' && shortFieldProblem('paymentId', paymentId) === null ? paymentId : null,
    paymentTime: typeof paymentTime === 'string' ? paymentTime : null,
    paymentAmount: isAmount(paymentAmount) ? paymentAmount : null,
    payload: raw,
  }
}
