// What an inquiry answer that polling cannot fix tells a human: an error log line and an
// onAttention alert, and for an order-specific fault its attention column (so the reconciler
// stops picking it: alerts.flagAndRaise). Messages and excerpts are bounded; nothing secret is
// in them.
import type { AttentionAlerts } from '../attention/attention-alerts.js'
import type { AttentionAlert, AttentionReason } from '../attention/attention-alert.js'
import type { FastifyBaseLogger } from 'fastify'
import { InvalidAnswerError } from '../errors.js'
import type { FinalOutcome, InvalidAnswerOutcome, SetupErrorOutcome } from '../protocol/inquiry-outcome.js'
import type { OrderStore } from '../store/order-store.js'
import type { FinalStatus, PaymentOrderRecord } from '../store/prisma-types.js'

export interface InquiryAlertDeps {
  store: OrderStore
  log: FastifyBaseLogger
  alerts: AttentionAlerts
}

export class InquiryAlerts {
  readonly #deps: InquiryAlertDeps

  constructor(deps: InquiryAlertDeps) {
    this.#deps = deps
  }

  /** Not the order's fault, so not flagged on it: the same setup error will meet every order. */
  setupError(orderNo: string, outcome: SetupErrorOutcome): void {
    const message =
      outcome.untrusted === true
        ? 'alipayplus inquiryPayment: an answer that cannot be trusted (signature or payment id); not read, asking again on the schedule'
        : 'alipayplus inquiryPayment: Alipay+ refused in a way retrying cannot fix'
    const resultMessage = outcome.resultMessage.slice(0, 200)
    const alert: AttentionAlert = {
      kind: 'setup_error',
      orderNo,
      source: 'inquiry',
      attention: null,
      message,
      alipayResultCode: outcome.resultCode,
      resultMessage,
    }
    if (outcome.httpStatus !== undefined) alert.httpStatus = outcome.httpStatus
    this.#deps.alerts.raise(alert, { orderNo, resultCode: outcome.resultCode, resultMessage, httpStatus: outcome.httpStatus }, this.#deps.log)
  }

  /** A signed answer that can never be recorded: asking again would get the same one. The error to end polling with. */
  async invalidAnswer(orderNo: string, outcome: InvalidAnswerOutcome): Promise<Error> {
    const problem = outcome.problem.slice(0, 200)
    const message = 'alipayplus inquiryPayment answer cannot be recorded: order left init for a human'
    await this.#deps.alerts.flagAndRaise(
      { kind: 'invalid_answer', orderNo, source: 'inquiry', message, resultCode: outcome.resultCode, problem },
      { orderNo, resultCode: outcome.resultCode, problem },
      this.#deps.log,
      () => this.#flag(orderNo, 'invalid_answer'),
    )
    return new InvalidAnswerError(orderNo, problem)
  }

  /**
   * The answered amount is not the order's: the order stays init. Flagged, so that the
   * reconciler does not ask again at every pass and get the same answer.
   */
  async amountMismatch(order: PaymentOrderRecord, outcome: FinalOutcome, eventId: string): Promise<void> {
    const { orderNo } = order
    const expected = { currency: order.currency, value: order.amount }
    const message = 'alipayplus inquiryPayment amount mismatch: order left init, event recorded; needs a human'
    // Present and well-formed: classifyInquiryResponse makes a SUCCESS without one invalid_answer.
    const received = { currency: outcome.paymentAmount!.currency, value: outcome.paymentAmount!.value }
    await this.#deps.alerts.flagAndRaise(
      { kind: 'amount_mismatch', orderNo, source: 'inquiry', message, expected, received, eventId },
      { orderNo, expected, received },
      this.#deps.log,
      () => this.#flag(orderNo, 'amount_mismatch'),
    )
  }

  /** Another final result was recorded first: it is kept, this answer's event is recorded beside it. */
  conflictingResult(order: PaymentOrderRecord, stored: FinalStatus, outcome: FinalOutcome, eventId: string): void {
    const message = 'alipayplus inquiryPayment conflicts with the recorded final result: kept the first, event recorded; needs a human'
    this.#deps.alerts.raise(
      {
        kind: 'conflicting_result',
        orderNo: order.orderNo,
        source: 'inquiry',
        attention: null,
        message,
        recorded: { status: stored, source: order.resultSource, resultCode: order.resultCode },
        received: { status: outcome.status, resultCode: outcome.resultCode },
        eventId,
      },
      { orderNo: order.orderNo, stored, storedSource: order.resultSource, inquired: outcome.status },
      this.#deps.log,
    )
  }

  async #flag(orderNo: string, reason: 'invalid_answer' | 'amount_mismatch'): Promise<AttentionReason | null> {
    return (await this.#deps.store.setAttention(orderNo, reason)) ? reason : null
  }
}
