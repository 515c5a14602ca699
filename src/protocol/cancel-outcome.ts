// Reads a cancelPayment answer into what the caller should do. Only result S means the payment
// will not stand (an unpaid one is closed, a paid one refunded): anything else must never be
// recorded as a failure. U, 5xx, timeouts and network errors say nothing: cancel again. F means
// the cancel did not happen (PROCESS_FAIL, outside the cancellable period, ...): inquire again,
// and leave the order to a human if it stays unknown. An F for our setup (a signature or client
// Alipay+ does not accept, an API not open to us) is a setup error instead: it refused this
// call unread, and says nothing of a cancel sent before it whose answer was lost.
import { isObject, retry, retryForStatus, withoutResult } from './answer-status.js'
import type { JsonObject, RetryOutcome, SetupErrorOutcome } from './inquiry-outcome.js'

export interface CancelledOutcome {
  kind: 'cancelled'
  response: JsonObject
}

export interface CancelRefusedOutcome {
  kind: 'refused'
  /** result.resultCode, e.g. PROCESS_FAIL or ORDER_NOT_EXIST. */
  resultCode: string
  resultMessage: string
  httpStatus: number
  response: JsonObject
}

/** setup_error: Alipay+ refused the call for our setup, the answer cannot be trusted (signature), or it is no Alipay+ answer (wrong URL). */
export type CancelOutcome = CancelledOutcome | RetryOutcome | CancelRefusedOutcome | SetupErrorOutcome

/** F result codes that refuse the call for the caller's setup, never for the payment's state. */
const SETUP_REFUSALS: ReadonlySet<string> = new Set([
  'ACCESS_DENIED',
  'INVALID_SIGNATURE',
  'KEY_NOT_FOUND',
  'INVALID_CLIENT',
  'PARAM_ILLEGAL',
  'INVALID_API',
  'METHOD_NOT_SUPPORTED',
  'MEDIA_TYPE_NOT_ACCEPTABLE',
])

/**
 * Pure classification of an answer that has already passed the signature check.
 * `body` is the parsed JSON, or undefined when the body was not JSON (or must not be read).
 */
export function classifyCancelResponse(httpStatus: number, body: unknown): CancelOutcome {
  const result = isObject(body) && isObject(body.result) ? body.result : null
  const resultCode = typeof result?.resultCode === 'string' ? result.resultCode : undefined
  const resultStatus = result?.resultStatus
  const resultMessage = typeof result?.resultMessage === 'string' ? result.resultMessage : resultCode
  const byStatus = retryForStatus(httpStatus, resultCode)
  if (byStatus !== null) return byStatus

  if (resultCode !== undefined && resultStatus === 'S') return { kind: 'cancelled', response: body as JsonObject }
  if (resultCode !== undefined && resultStatus === 'U') {
    const reason = resultCode === 'REQUEST_TRAFFIC_EXCEED_LIMIT' ? 'traffic_limit' : 'unknown_exception'
    return retry(reason, resultMessage ?? resultCode, httpStatus, resultCode)
  }
  if (resultCode !== undefined && resultStatus === 'F') {
    if (SETUP_REFUSALS.has(resultCode)) return { kind: 'setup_error', resultCode, resultMessage: resultMessage ?? resultCode, httpStatus }
    return { kind: 'refused', resultCode, resultMessage: resultMessage ?? resultCode, httpStatus, response: body as JsonObject }
  }
  return withoutResult(httpStatus)
}
