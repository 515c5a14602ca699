// Reads an inquiryPayment answer into what the caller should do, row by row of the protocol
// table: final (SUCCESS/FAIL), still in process, retry the call, order unknown to Alipay+
// (never a final result), a setup error (stop and tell a human), or an invalid answer (signed,
// but unrecordable: asking again would get the same answer, so stop and tell a human).
import { type Amount, assertAmount } from '../store/amount.js'
import { isObject, retry, retryForStatus, withoutResult } from './answer-status.js'
import { shortFieldProblem } from './field-limits.js'

export type JsonObject = Record<string, unknown>

export type RetryReason = 'unknown_exception' | 'traffic_limit' | 'http_status' | 'network' | 'timeout' | 'malformed_response'

export interface FinalOutcome {
  kind: 'final'
  status: 'SUCCESS' | 'FAIL'
  /** paymentResult.resultCode: SUCCESS, or the failure code such as ORDER_IS_CLOSED. */
  resultCode: string
  resultMessage?: string
  paymentId?: string
  /**
   * A well-formed Amount (always present on SUCCESS); OrderStore.recordResult compares it with
   * the order's. A FAIL's malformed amount is dropped (it stays in the response).
   */
  paymentAmount?: Amount
  paymentTime?: string
  response: JsonObject
}

export interface InProcessOutcome {
  kind: 'in_process'
  resultCode: string
  response: JsonObject
}

export interface RetryOutcome {
  kind: 'retry'
  reason: RetryReason
  resultCode?: string
  httpStatus?: number
  message: string
}

export interface OrderNotExistOutcome {
  kind: 'order_not_exist'
  response: JsonObject
}

/**
 * A signed answer that cannot be recorded: a SUCCESS without a valid paymentAmount, or a final
 * answer whose resultCode (or a SUCCESS's paymentId) is empty or longer than the protocol's 64
 * characters.
 */
export interface InvalidAnswerOutcome {
  kind: 'invalid_answer'
  /** paymentResult.resultCode. */
  resultCode: string
  problem: string
  response: JsonObject
}

export interface SetupErrorOutcome {
  kind: 'setup_error'
  resultCode: string
  resultMessage: string
  httpStatus?: number
  /**
   * true: no trusted answer came (its signature failed, it was missing, or the answer is about
   * another payment), which one forged or garbled answer can cause; the next call may be answered
   * properly. Absent: Alipay+ itself refused the call (ACCESS_DENIED, ...) or the URL is wrong.
   */
  untrusted?: true
}

export type InquiryOutcome =
  | FinalOutcome
  | InProcessOutcome
  | RetryOutcome
  | OrderNotExistOutcome
  | SetupErrorOutcome
  | InvalidAnswerOutcome

interface ResultBlock {
  resultCode: string
  resultStatus: 'S' | 'F' | 'U'
  resultMessage: string | undefined
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function readResult(value: unknown): ResultBlock | null {
  if (!isObject(value)) return null
  const { resultCode, resultStatus, resultMessage } = value
  if (typeof resultCode !== 'string' || (resultStatus !== 'S' && resultStatus !== 'F' && resultStatus !== 'U')) return null
  return { resultCode, resultStatus, resultMessage: optionalString(resultMessage) }
}

function fromPaymentResult(response: JsonObject, httpStatus: number): InquiryOutcome {
  const payment = readResult(response.paymentResult)
  if (payment === null) return retry('malformed_response', 'result S without a readable paymentResult', httpStatus)
  if (payment.resultStatus === 'U') return { kind: 'in_process', resultCode: payment.resultCode, response }
  const outcome: FinalOutcome = {
    kind: 'final',
    status: payment.resultStatus === 'S' ? 'SUCCESS' : 'FAIL',
    resultCode: payment.resultCode,
    response,
  }
  if (payment.resultMessage !== undefined) outcome.resultMessage = payment.resultMessage
  const paymentId = optionalString(response.paymentId)
  const paymentTime = optionalString(response.paymentTime)
  // Checked as the notify route checks them (the same answer would come every time): the
  // resultCode always; the paymentId on a SUCCESS, and a FAIL, which does not use it, drops a bad one.
  const idProblem = paymentId === undefined ? null : shortFieldProblem('paymentId', paymentId)
  const fieldProblem = shortFieldProblem('paymentResult.resultCode', payment.resultCode) ?? (outcome.status === 'SUCCESS' ? idProblem : null)
  if (fieldProblem !== null) return { kind: 'invalid_answer', resultCode: payment.resultCode, problem: fieldProblem, response }
  if (paymentId !== undefined && idProblem === null) outcome.paymentId = paymentId
  const amountProblem = problemOf(response.paymentAmount)
  if (amountProblem === null) outcome.paymentAmount = response.paymentAmount as Amount
  else if (outcome.status === 'SUCCESS') {
    // The amount check cannot run without it, and the same answer would come every time.
    return { kind: 'invalid_answer', resultCode: payment.resultCode, problem: amountProblem, response }
  }
  if (paymentTime !== undefined) outcome.paymentTime = paymentTime
  return outcome
}

/** Why a paymentAmount cannot be checked against the order, or null when it can. */
function problemOf(amount: unknown): string | null {
  if (amount === undefined || amount === null) return 'a SUCCESS without paymentAmount'
  try {
    assertAmount(amount, 'paymentAmount')
    return null
  } catch (error) {
    return (error as Error).message
  }
}

function fromResult(result: ResultBlock, response: JsonObject, httpStatus: number): InquiryOutcome {
  const message = result.resultMessage ?? result.resultCode
  switch (result.resultStatus) {
    case 'S':
      return fromPaymentResult(response, httpStatus)
    case 'U':
      return result.resultCode === 'REQUEST_TRAFFIC_EXCEED_LIMIT'
        ? retry('traffic_limit', message, httpStatus, result.resultCode)
        : retry('unknown_exception', message, httpStatus, result.resultCode)
    case 'F':
      // Alipay+ may simply not have the payment yet: never a reason to record FAIL.
      if (result.resultCode === 'ORDER_NOT_EXIST') return { kind: 'order_not_exist', response }
      return { kind: 'setup_error', resultCode: result.resultCode, resultMessage: message, httpStatus }
  }
}

/**
 * Pure classification of an answer that has already passed the signature check.
 * `body` is the parsed JSON, or undefined when the body was not JSON.
 */
export function classifyInquiryResponse(httpStatus: number, body: unknown): InquiryOutcome {
  const result = isObject(body) ? readResult(body.result) : null
  const byStatus = retryForStatus(httpStatus, result?.resultCode)
  if (byStatus !== null) return byStatus
  if (result !== null) return fromResult(result, body as JsonObject, httpStatus)
  return withoutResult(httpStatus)
}
