// What one inquiry's answer does to the order's polling: a final answer is recorded through
// the store's atomic transition and published (the order's waiters hear it); an answer that is
// not final yet (in process, not found, retry, one untrusted answer) lets p-retry try again on
// its schedule; what can never fix itself (a setup error, an unrecordable answer, an amount
// mismatch) stops polling with a typed error (p-retry's AbortError) after alerting a human.
import { AbortError } from 'p-retry'
import { AmountMismatchError } from '../errors.js'
import { AlipayPlusSetupError } from '../protocol/errors.js'
import type { FinalOutcome, InquiryOutcome } from '../protocol/inquiry-outcome.js'
import type { PaymentOrderRecord } from '../store/prisma-types.js'
import { InquiryAlerts } from './inquiry-alerts.js'
import { NotFinalYet } from './loop-stops.js'
import type { LeaseHold } from './order-lease.js'
import type { PollerCounters, PollerDeps } from './poller-types.js'
import { UntrustedAnswers } from './untrusted-answers.js'

export type InquiryAnswerDeps = Pick<PollerDeps, 'store' | 'limiter' | 'polling' | 'log' | 'alerts' | 'hub'>

export class InquiryAnswers {
  readonly #deps: InquiryAnswerDeps
  readonly #counters: PollerCounters
  readonly #alerts: InquiryAlerts
  readonly #untrusted = new UntrustedAnswers()

  constructor(deps: InquiryAnswerDeps, counters: PollerCounters) {
    this.#deps = deps
    this.#counters = counters
    this.#alerts = new InquiryAlerts(deps)
  }

  /** The final order, or throws: NotFinalYet (ask again) or AbortError (stop, with the reason). */
  async handle(hold: LeaseHold, outcome: InquiryOutcome): Promise<PaymentOrderRecord> {
    const { limiter, polling } = this.#deps
    const { orderNo } = hold
    this.#counters.inquiries++
    // Written with the lease's next claim or its release: no round trip of its own.
    if (outcome.kind === 'order_not_exist' || outcome.kind === 'in_process') hold.answered(outcome.kind === 'order_not_exist')
    this.#counters.outcomes[outcome.kind]++
    switch (outcome.kind) {
      case 'final':
        this.#untrusted.trusted()
        return this.#record(orderNo, outcome)
      case 'setup_error':
        this.#alerts.setupError(orderNo, outcome)
        // Why two kinds: a refusal by result code (ACCESS_DENIED, INVALID_CLIENT, KEY_NOT_FOUND,
        // ...) is Alipay+ itself saying our setup is wrong, in a signed answer: every call will
        // get it, so the waiters hear at once. An answer we cannot trust (bad or missing
        // signature, another payment's answer) may be one forged or garbled message among good
        // ones: retried on the schedule, and only a run of them on this instance rejects.
        if (outcome.untrusted !== true) this.#untrusted.trusted()
        else if (!this.#untrusted.seen()) throw new NotFinalYet(`untrusted answer: ${outcome.resultMessage}`)
        throw new AbortError(new AlipayPlusSetupError(outcome.resultCode, outcome.resultMessage, outcome.httpStatus))
      case 'invalid_answer':
        this.#untrusted.trusted()
        throw new AbortError(await this.#alerts.invalidAnswer(orderNo, outcome))
      case 'retry':
        if (outcome.reason === 'traffic_limit') limiter.pause(polling.minTimeoutMs)
        throw new NotFinalYet(`${outcome.reason}: ${outcome.message}`)
      case 'in_process':
      case 'order_not_exist':
        this.#untrusted.trusted()
        throw new NotFinalYet(outcome.kind)
    }
  }

  async #record(orderNo: string, outcome: FinalOutcome): Promise<PaymentOrderRecord> {
    const recorded = await this.#deps.store.recordResult({
      orderNo,
      source: 'inquiry',
      status: outcome.status,
      resultCode: outcome.resultCode,
      resultMessage: outcome.resultMessage,
      paymentId: outcome.paymentId ?? null,
      paymentTime: outcome.paymentTime ?? null,
      paymentAmount: outcome.paymentAmount ?? null,
      payload: outcome.response,
    })
    const { order, reason } = recorded
    // A mismatch leaves the order init, unless another result finalized it meanwhile.
    if (order.status === 'init') {
      await this.#alerts.amountMismatch(order, outcome, recorded.eventId)
      throw new AbortError(new AmountMismatchError(orderNo))
    }
    if (reason === 'conflicting_result') this.#alerts.conflictingResult(order, order.status, outcome, recorded.eventId)
    this.#deps.hub.publish(order)
    return order
  }
}
