// cancelAfterWindow: when a polling window ends without a final result, ask Alipay+ to cancel
// the payment, as its docs advise. Only an S answer means the payment will not stand (unpaid:
// closed; paid, even later: refunded in full), so only S is recorded, as FAIL with source
// 'cancel'. U, 5xx, timeouts and network errors: cancel again, a bounded number of times. F: the
// cancel did not happen: inquire once more, and leave the order to a human if still unknown.
// Past Alipay+'s cancel deadline (T+1 00:15 GMT+8) no cancel is sent. Every "needs a human" ends
// in the order's attention column and the onAttention hook, never in silence.
import pRetry from 'p-retry'
import type { AttentionAlert, AttentionReason } from '../attention/attention-alert.js'
import { UnknownOrderError } from '../errors.js'
import type { CancelOutcome, CancelRefusedOutcome } from '../protocol/cancel-outcome.js'
import { AlipayPlusSetupError } from '../protocol/errors.js'
import type { JsonObject, RetryOutcome } from '../protocol/inquiry-outcome.js'
import type { PaymentOrderRecord } from '../store/prisma-types.js'
import { cancelDeadline } from './cancel-deadline.js'
import type { LeaseHold } from './order-lease.js'
import type { PollerDeps } from './payment-poller.js'
import { maxDelayAfter } from './retry-delay.js'
import type { Priority } from './wait-queue.js'

/** Cancel calls after the first one, on the polling schedule (4, 8, 16, 32, 60 s by default). */
export const CANCEL_RETRIES = 5

/** resultCode recorded on the order when a cancel is confirmed (result S). */
export const CANCELLED_RESULT_CODE = 'CANCELLED'

export type CancelStats = Record<CancelOutcome['kind'], number>

/** The poller's own parts, and its way to inquire once more. */
export interface CancellerDeps extends Omit<PollerDeps, 'cancelAfterWindow'> {
  /**
   * One more inquiry under the cancel's lease, through the poller's own handling: the final
   * order, null when the answer is not final, or the poller's error when it stops (amount
   * mismatch, setup error, ...).
   */
  inquireOnce(hold: LeaseHold, signal: AbortSignal, priority: Priority): Promise<PaymentOrderRecord | null>
  /** How long a lease claimed now must last to reach the next claim, `waitMs` after this call ends. */
  untilNextCall(waitMs: number): number
}

/** A cancel call whose outcome is unknown: p-retry calls again. */
class CancelNotAnswered extends Error {
  constructor(readonly outcome: RetryOutcome) {
    super(`${outcome.reason}: ${outcome.message}`)
  }
}

/** Another instance holds the order, or it is final: this instance does not cancel. */
class NotOurs extends Error {}

export class PaymentCanceller {
  readonly #deps: CancellerDeps
  readonly stats: CancelStats = { cancelled: 0, retry: 0, refused: 0, setup_error: 0 }

  constructor(deps: CancellerDeps) {
    this.#deps = deps
  }

  /**
   * Runs the cancel of an init order whose window ended; resolves with the order as stored
   * after it. Its calls hold the order's lease, let go at the end.
   */
  async cancel(orderNo: string, signal: AbortSignal, priority: Priority): Promise<PaymentOrderRecord> {
    const hold = this.#deps.lease.hold(orderNo)
    try {
      return await this.#cancel(hold, signal, priority)
    } finally {
      await hold.release()
    }
  }

  async #cancel(hold: LeaseHold, signal: AbortSignal, priority: Priority): Promise<PaymentOrderRecord> {
    const { log } = this.#deps
    const { orderNo } = hold
    const order = await this.#current(orderNo)
    if (order.status !== 'init' || order.attention !== null) return order

    const deadline = cancelDeadline(order.createdAt)
    if (Date.now() > deadline.getTime()) {
      const message = 'alipayplus cancelPayment not sent: past Alipay+\'s cancel deadline (T+1 00:15 GMT+8); order left init for a human'
      log.error({ orderNo, createdAt: order.createdAt, deadline }, message)
      const attention = await this.#flag(orderNo, 'cancel_deadline_passed')
      this.#deps.alerts.emit({ kind: 'cancel_deadline_passed', orderNo, source: 'cancel', attention, message, deadline, createdAt: order.createdAt })
      return this.#current(orderNo)
    }

    let answer: Exclude<CancelOutcome, RetryOutcome>
    try {
      answer = await this.#cancelUntilAnswered(hold, signal, priority)
    } catch (error) {
      if (error instanceof NotOurs) return this.#current(orderNo)
      if (!(error instanceof CancelNotAnswered)) throw error
      const message = `alipayplus cancelPayment unconfirmed after ${CANCEL_RETRIES + 1} calls: the payment may or may not be cancelled; order left init for a human`
      log.error({ orderNo, lastOutcome: error.message }, message)
      const attention = await this.#flag(orderNo, 'cancel_unconfirmed')
      this.#deps.alerts.emit({ kind: 'cancel_unconfirmed', orderNo, source: 'cancel', attention, message, lastOutcome: error.message })
      return this.#current(orderNo)
    }

    switch (answer.kind) {
      case 'cancelled':
        return this.#recordCancelled(orderNo, answer.response)
      case 'refused':
        return this.#afterRefusal(hold, answer, signal, priority)
      case 'setup_error': {
        // An answer that cannot be trusted (signature) or is no Alipay+ answer (wrong URL): the
        // cancel may have happened. A human must look before anything is recorded.
        const message = 'alipayplus cancelPayment answer cannot be trusted: the payment may or may not be cancelled; order left init for a human'
        log.error({ orderNo, resultCode: answer.resultCode, resultMessage: answer.resultMessage }, message)
        const attention = await this.#flag(orderNo, 'cancel_unconfirmed')
        const alert: AttentionAlert = {
          kind: 'setup_error',
          orderNo,
          source: 'cancel',
          attention,
          message,
          alipayResultCode: answer.resultCode,
          resultMessage: answer.resultMessage,
        }
        if (answer.httpStatus !== undefined) alert.httpStatus = answer.httpStatus
        this.#deps.alerts.emit(alert)
        throw new AlipayPlusSetupError(answer.resultCode, answer.resultMessage, answer.httpStatus)
      }
    }
  }

  /** cancelPayment until it answers S, F or untrusted; each call under the lease and the limiter. */
  #cancelUntilAnswered(hold: LeaseHold, signal: AbortSignal, priority: Priority): Promise<Exclude<CancelOutcome, RetryOutcome>> {
    const { limiter, inquiry, polling, log, untilNextCall } = this.#deps
    const { orderNo } = hold
    return pRetry(
      async (attemptNumber) => {
        const outcome = await limiter.run(
          async (start) => {
            // Still init, and this instance's turn: the same atomic check as before an inquiry,
            // held until the next cancel call could come.
            if (!(await hold.claim(untilNextCall(maxDelayAfter(attemptNumber, polling))))) return null
            await start()
            return inquiry.cancel(orderNo, { signal })
          },
          { signal, priority },
        )
        if (outcome === null) throw new NotOurs()
        this.stats[outcome.kind]++
        if (outcome.kind !== 'retry') return outcome
        if (outcome.reason === 'traffic_limit') limiter.pause(polling.minTimeout)
        throw new CancelNotAnswered(outcome)
      },
      {
        retries: CANCEL_RETRIES,
        minTimeout: polling.minTimeout,
        maxTimeout: polling.maxTimeout,
        factor: polling.factor,
        randomize: polling.randomize,
        signal,
        shouldRetry: ({ error }) => error instanceof CancelNotAnswered,
        onFailedAttempt: ({ error, attemptNumber }) => {
          if (error instanceof CancelNotAnswered) {
            log.warn({ orderNo, attemptNumber, why: error.message }, 'alipayplus cancelPayment: no answer yet, cancelling again')
          }
        },
      },
    )
  }

  async #recordCancelled(orderNo: string, response: JsonObject): Promise<PaymentOrderRecord> {
    const { store, hub, log } = this.#deps
    const answered = response.result as { resultMessage?: unknown } | undefined
    const recorded = await store.recordResult({
      orderNo,
      source: 'cancel',
      status: 'FAIL',
      resultCode: CANCELLED_RESULT_CODE,
      resultMessage: typeof answered?.resultMessage === 'string' ? `cancelPayment: ${answered.resultMessage}` : 'cancelPayment: S',
      paymentId: typeof response.paymentId === 'string' ? response.paymentId : null,
      payload: response,
    })
    const { order, reason } = recorded
    if (reason === 'conflicting_result') {
      // The payment was recorded SUCCESS meanwhile, and Alipay+ has now refunded it.
      const message = 'alipayplus cancelPayment confirmed after a recorded SUCCESS: Alipay+ refunds the payment; kept the first result, event recorded; needs a human'
      log.error({ orderNo, stored: order.status, storedSource: order.resultSource }, message)
      this.#deps.alerts.emit({
        kind: 'conflicting_result',
        orderNo,
        source: 'cancel',
        attention: null,
        message,
        recorded: { status: 'SUCCESS', source: order.resultSource, resultCode: order.resultCode },
        received: { status: 'FAIL', resultCode: CANCELLED_RESULT_CODE },
        eventId: recorded.eventId,
      })
      return order
    }
    if (recorded.applied) log.info({ orderNo }, 'alipayplus: payment cancelled after the polling window; recorded FAIL (source cancel)')
    hub.publish(order)
    return order
  }

  async #afterRefusal(hold: LeaseHold, refusal: CancelRefusedOutcome, signal: AbortSignal, priority: Priority): Promise<PaymentOrderRecord> {
    const { log } = this.#deps
    const { orderNo } = hold
    // The cancel did not happen: the payment may have completed meanwhile.
    const final = await this.#deps.inquireOnce(hold, signal, priority)
    if (final !== null) return final
    const message = 'alipayplus cancelPayment refused and the payment is still unknown: order left init for a human'
    log.error({ orderNo, resultCode: refusal.resultCode, resultMessage: refusal.resultMessage }, message)
    const attention = await this.#flag(orderNo, 'cancel_refused')
    this.#deps.alerts.emit({
      kind: 'cancel_refused',
      orderNo,
      source: 'cancel',
      attention,
      message,
      alipayResultCode: refusal.resultCode,
      resultMessage: refusal.resultMessage,
    })
    return this.#current(orderNo)
  }

  async #flag(orderNo: string, reason: AttentionReason): Promise<AttentionReason | null> {
    return (await this.#deps.store.setAttention(orderNo, reason)) ? reason : null
  }

  async #current(orderNo: string): Promise<PaymentOrderRecord> {
    const order = await this.#deps.store.getOrder(orderNo)
    if (order === null) throw new UnknownOrderError(orderNo)
    return order
  }
}
