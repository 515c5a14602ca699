// What an Alipay+ API answer says apart from its result, the same for inquiryPayment and
// cancelPayment: the HTTP statuses that say nothing about the payment, and an answer whose
// result cannot be read.
import type { JsonObject, RetryOutcome, RetryReason, SetupErrorOutcome } from './inquiry-outcome.js'

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function retry(reason: RetryReason, message: string, httpStatus: number, resultCode?: string): RetryOutcome {
  const outcome: RetryOutcome = { kind: 'retry', reason, httpStatus, message }
  if (resultCode !== undefined) outcome.resultCode = resultCode
  return outcome
}

/** Server errors, request timeouts and rate limiting say nothing about the payment: call again. */
export function retryForStatus(httpStatus: number, resultCode?: string): RetryOutcome | null {
  if (httpStatus >= 500) return retry('http_status', `HTTP ${httpStatus}`, httpStatus, resultCode)
  if (httpStatus === 429) return retry('traffic_limit', 'HTTP 429', httpStatus)
  if (httpStatus === 408) return retry('http_status', 'HTTP 408', httpStatus)
  return null
}

/**
 * An answer without a readable result: a 2xx that is not an Alipay+ answer (a proxy page, a cut
 * body) leaves the outcome unknown; redirects and client errors mean a wrong gateway URL or path.
 */
export function withoutResult(httpStatus: number): RetryOutcome | SetupErrorOutcome {
  if (httpStatus >= 200 && httpStatus < 300) {
    return retry('malformed_response', `HTTP ${httpStatus} without a readable result`, httpStatus)
  }
  return {
    kind: 'setup_error',
    resultCode: `HTTP_${httpStatus}`,
    resultMessage: `HTTP ${httpStatus} without a readable result; check the gateway URL`,
    httpStatus,
  }
}
