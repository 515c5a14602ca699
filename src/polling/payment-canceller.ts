// cancelAfterWindow: when a polling window ends without a final result, ask Alipay+ to cancel
// the payment, as its docs advise. Only an S answer means the payment will not stand (unpaid:
// closed; paid, even later: refunded in full), so only S is recorded, as FAIL with source
// 'cancel'. U, 5xx, timeouts and network errors: cancel again, a bounded number of times. F: the
// cancel did not happen: inquire once more, and leave the order to a human if still unknown.
// Past Alipay+'s cancel deadline (T+1 00:15 GMT+8) no cancel is sent. Every "needs a human" ends
// in the order's attention column and the onAttention hook, never in silence.
//
// A cancel whose answer never came may still have been executed (for a paid payment: a full
// refund), so "sent" is recorded on the order before the first call leaves, and from then on the
// cancel is worked to a definite answer whatever happens to this instance: retried while it can,
// alerted when it stops (close(), another instance's lease, a database error), resumed by the
// reconciler while the order is init and 'sent'. A SUCCESS recorded for an order whose cancel was
// sent or confirmed is flagged and alerted (attention/success-after-cancel.ts).
import pRetry from 'p-retry'
import type { AttentionReason } from '../attention/attention-alert.js'
import type { UnflaggedAlert } from '../attention/attention-alerts.js'
import { UnknownOrderError } from '../errors.js'
import type { CancelOutcome, CancelRefusedOutcome } from '../protocol/cancel-outcome.js'
import { AlipayPlusSetupError } from '../protocol/errors.js'
import type { JsonObject, RetryOutcome, SetupErrorOutcome } from '../protocol/inquiry-outcome.js'
import { mayBeCancelled } from '../store/cancel-state.js'
import type { PaymentOrderRecord } from '../store/prisma-types.js'
import { cancelDeadline } from './cancel-deadline.js'
import type { LeaseHold } from './order-lease.js'
import type { PollerDeps } from './payment-poller.js'
import { maxDelayAfter } from '../retry-delay.js'
import type { CurrentLane } from './wait-queue.js'

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
  inquireOnce(hold: LeaseHold, signal: AbortSignal, lane: CurrentLane): Promise<PaymentOrderRecord | null>
  /** How long a lease claimed now must last to reach the next claim, `waitMs` after this call ends. */
  untilNextCall(waitMs: number): number
}

/** A cancel call that got no trusted answer, or could not be made: p-retry tries again. */
class CancelNotAnswered extends Error {}

/** Another instance holds the order's lease: this instance may not call now (the cancel was sent). */
class LeaseHeld extends CancelNotAnswered {
  constructor() {
    super('another instance holds the order\'s polling lease')
  }
}

/** No cancel left: the order was final, or another instance held it, before the first call. */
class NotSent extends Error {}

/** The order became final while the cancel was being worked. */
class FinalMeanwhile extends Error {
  constructor(readonly order: PaymentOrderRecord) {
    super(`order final meanwhile (${order.status})`)
  }
}

/** Whether a call left for Alipay+: from the "sent" mark on, the cancel is worked to an answer. */
interface Progress {
  sent: boolean
}

export class PaymentCanceller {
  readonly #deps: CancellerDeps
  readonly stats: CancelStats = { cancelled: 0, retry: 0, refused: 0, setup_error: 0 }

  constructor(deps: CancellerDeps) {
    this.#deps = deps
  }

  /**
   * Runs (or resumes) the cancel of an init order whose window ended; resolves with the order as
   * stored after it. Its calls hold the order's lease, let go at the end.
   */
  async cancel(orderNo: string, signal: AbortSignal, lane: CurrentLane): Promise<PaymentOrderRecord> {
    const hold = this.#deps.lease.hold(orderNo)
    try {
      return await this.#cancel(hold, signal, lane)
    } finally {
      await hold.release()
    }
  }

  async #cancel(hold: LeaseHold, signal: AbortSignal, lane: CurrentLane): Promise<PaymentOrderRecord> {
    const { log } = this.#deps
    const { orderNo } = hold
    const order = await this.#current(orderNo)
    if (order.status !== 'init') return this.#final(order)
    if (order.attention !== null) return order

    // A cancel sent before (its answer lost, this process stopped, ...) is sent again: Alipay+
    // treats cancels of one paymentRequestId as one, and only its answer tells what happened.
    const resuming = order.cancelState === 'sent'
    const deadline = cancelDeadline(order.createdAt)
    const pastDeadline = Date.now() > deadline.getTime()
    if (pastDeadline && !resuming) {
      const message = 'alipayplus cancelPayment not sent: past Alipay+\'s cancel deadline (T+1 00:15 GMT+8); order left init for a human'
      await this.#deps.alerts.flagAndRaise(
        { kind: 'cancel_deadline_passed', orderNo, source: 'cancel', message, deadline, createdAt: order.createdAt },
        { orderNo, createdAt: order.createdAt, deadline },
        log,
        () => this.#flag(orderNo, 'cancel_deadline_passed'),
      )
      return this.#current(orderNo)
    }

    const progress: Progress = { sent: resuming }
    let answer: Exclude<CancelOutcome, RetryOutcome>
    try {
      answer = await this.#cancelUntilAnswered(hold, signal, lane, progress)
    } catch (error) {
      if (error instanceof NotSent) return this.#current(orderNo)
      if (error instanceof FinalMeanwhile) return this.#final(error.order)
      return this.#unanswered(orderNo, error, signal, progress)
    }

    switch (answer.kind) {
      case 'cancelled':
        return this.#recordCancelled(orderNo, answer.response)
      case 'refused':
        // Past the deadline, an F may only say "too late" about a cancel that the first call made.
        if (resuming && pastDeadline) {
          await this.#unconfirmed(orderNo, `refused past the cancel deadline: ${answer.resultCode}`, true)
          return this.#current(orderNo)
        }
        await this.#deps.cancels.settle(orderNo, 'refused')
        return this.#afterRefusal(hold, answer, signal, lane)
      case 'setup_error': {
        // Alipay+ refused this call for our setup, or the URL is wrong: this call cancelled
        // nothing, but one sent before it whose answer was lost may have, so the order stays
        // 'sent' and a human looks before anything is recorded.
        const message = 'alipayplus cancelPayment refused for the setup: the payment may or may not be cancelled; order left init for a human'
        await this.#deps.alerts.flagAndRaise(setupAlert(orderNo, answer, message), setupFields(orderNo, answer), log, () =>
          this.#flag(orderNo, 'cancel_unconfirmed'),
        )
        throw new AlipayPlusSetupError(answer.resultCode, answer.resultMessage, answer.httpStatus)
      }
    }
  }

  /**
   * A cancel that ended without an answer. Never sent: nothing to work, the error stands.
   * Sent: its outcome is unknown, and Alipay+ may have executed it, so it is never dropped
   * quietly: after the last retry of unanswered calls the order is left to a human
   * (cancel_unconfirmed); when this instance stops working it (close(), another instance's
   * lease, a database error) the alert says so and the order stays init with cancelState 'sent'
   * and no flag, so that the reconciler (of any instance, or after a restart) resumes it.
   */
  async #unanswered(orderNo: string, error: unknown, signal: AbortSignal, progress: Progress): Promise<PaymentOrderRecord> {
    if (!progress.sent) throw error
    if (signal.aborted) {
      await this.#unconfirmed(orderNo, 'stopped by close() before an answer', false)
      throw error
    }
    if (error instanceof LeaseHeld) {
      await this.#unconfirmed(orderNo, error.message, false)
      return this.#current(orderNo)
    }
    if (error instanceof CancelNotAnswered) {
      await this.#unconfirmed(orderNo, `${error.message}, after ${CANCEL_RETRIES + 1} attempts`, true)
      return this.#current(orderNo)
    }
    // Only the code: a driver's message may quote a connection string.
    const code = (error as { code?: unknown } | null)?.code
    await this.#unconfirmed(orderNo, `database error${typeof code === 'string' ? ` ${code}` : ''}`, false)
    throw error
  }

  /**
   * The alert of a sent cancel whose outcome is unknown. `final`: no more calls will come (the
   * retries are used up): the order is flagged for a human. Otherwise it is left for the
   * reconciler to resume, and nothing is written (the database may be what failed).
   */
  async #unconfirmed(orderNo: string, lastOutcome: string, final: boolean): Promise<void> {
    const message = final
      ? `alipayplus cancelPayment unconfirmed (${lastOutcome}): the payment may or may not be cancelled; order left init for a human`
      : `alipayplus cancelPayment sent, outcome unknown (${lastOutcome}): the payment may or may not be cancelled; order left init with cancelState 'sent' for the reconciler to resume`
    await this.#deps.alerts.flagAndRaise(
      { kind: 'cancel_unconfirmed', orderNo, source: 'cancel', message, lastOutcome },
      { orderNo, lastOutcome },
      this.#deps.log,
      async () => (final ? this.#flag(orderNo, 'cancel_unconfirmed') : null),
    )
  }

  /** The order is final: a SUCCESS after a cancel was sent is flagged and alerted (once per order). */
  async #final(order: PaymentOrderRecord): Promise<PaymentOrderRecord> {
    if (order.status === 'SUCCESS' && mayBeCancelled(order)) await this.#deps.successAfterCancel.check(order.orderNo)
    return order
  }

  /**
   * cancelPayment until it answers S, F or a setup error; each call under the lease and the
   * limiter. "Sent" is recorded on the order before the first call leaves; from then on a call
   * that could not be made (another instance's lease, a database error) is tried again too.
   */
  #cancelUntilAnswered(
    hold: LeaseHold,
    signal: AbortSignal,
    lane: CurrentLane,
    progress: Progress,
  ): Promise<Exclude<CancelOutcome, RetryOutcome>> {
    const { limiter, inquiry, polling, log, untilNextCall, cancels } = this.#deps
    const { orderNo } = hold
    return pRetry(
      async (attemptNumber) => {
        const outcome = await limiter.run(
          async (start) => {
            // Still init, and this instance's turn: the same atomic check as before an inquiry,
            // held until the next cancel call could come.
            if (!(await hold.claim(untilNextCall(maxDelayAfter(attemptNumber, polling))))) return null
            if (!progress.sent) {
              if (!(await cancels.markSent(orderNo, new Date()))) return null
              progress.sent = true
            }
            await start()
            return inquiry.cancel(orderNo, { signal })
          },
          { signal, lane },
        )
        if (outcome === null) {
          const order = await this.#current(orderNo)
          if (order.status !== 'init') throw new FinalMeanwhile(order)
          if (!progress.sent) throw new NotSent()
          throw new LeaseHeld()
        }
        this.stats[outcome.kind]++
        if (outcome.kind === 'setup_error' && outcome.untrusted === true) {
          // No answer we may believe: the same as no answer (a forged or garbled one must not
          // decide a refund), alerted since a wrong key would show here first.
          const message = 'alipayplus cancelPayment answer cannot be trusted: treated as no answer, cancelling again'
          this.#deps.alerts.raise({ ...setupAlert(orderNo, outcome, message), attention: null }, setupFields(orderNo, outcome), log)
          throw new CancelNotAnswered(`${outcome.resultCode}: ${outcome.resultMessage}`)
        }
        if (outcome.kind !== 'retry') return outcome
        if (outcome.reason === 'traffic_limit') limiter.pause(polling.minTimeoutMs)
        throw new CancelNotAnswered(`${outcome.reason}: ${outcome.message}`)
      },
      {
        retries: CANCEL_RETRIES,
        minTimeout: polling.minTimeoutMs,
        maxTimeout: polling.maxTimeoutMs,
        factor: polling.factor,
        randomize: polling.randomize,
        signal,
        // Once sent, a database error is retried too: the cancel must reach an answer.
        shouldRetry: ({ error }) =>
          error instanceof CancelNotAnswered || (progress.sent && !signal.aborted && !(error instanceof FinalMeanwhile) && !(error instanceof NotSent)),
        onFailedAttempt: ({ error, attemptNumber }) => {
          log.warn({ orderNo, attemptNumber, why: error.message }, 'alipayplus cancelPayment: no answer yet, cancelling again')
        },
      },
    )
  }

  async #recordCancelled(orderNo: string, response: JsonObject): Promise<PaymentOrderRecord> {
    const { store, hub, log, cancels, successAfterCancel } = this.#deps
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
    // After the result: a process stopped in between leaves a final order still 'sent', which
    // nothing resumes; the other way round it would leave an init order that nothing resumes.
    await cancels.settle(orderNo, 'confirmed')
    const { order, reason } = recorded
    if (reason === 'conflicting_result') {
      // The payment was recorded SUCCESS meanwhile, and Alipay+ has now refunded it: its own
      // alert, even if the SUCCESS already raised one (then it was "may have").
      await successAfterCancel.check(orderNo, { always: true })
      return (await store.getOrder(orderNo)) ?? order
    }
    if (recorded.applied) log.info({ orderNo }, 'alipayplus: payment cancelled after the polling window; recorded FAIL (source cancel)')
    hub.publish(order)
    return order
  }

  async #afterRefusal(hold: LeaseHold, refusal: CancelRefusedOutcome, signal: AbortSignal, lane: CurrentLane): Promise<PaymentOrderRecord> {
    const { log } = this.#deps
    const { orderNo } = hold
    // The cancel did not happen: the payment may have completed meanwhile.
    const final = await this.#deps.inquireOnce(hold, signal, lane)
    if (final !== null) return final
    const message = 'alipayplus cancelPayment refused and the payment is still unknown: order left init for a human'
    await this.#deps.alerts.flagAndRaise(
      { kind: 'cancel_refused', orderNo, source: 'cancel', message, alipayResultCode: refusal.resultCode, resultMessage: refusal.resultMessage },
      { orderNo, resultCode: refusal.resultCode, resultMessage: refusal.resultMessage },
      log,
      () => this.#flag(orderNo, 'cancel_refused'),
    )
    return this.#current(orderNo)
  }

  /** The write of alerts.flagAndRaise: the reason, or null when the order was not flagged. */
  async #flag(orderNo: string, reason: AttentionReason): Promise<AttentionReason | null> {
    return (await this.#deps.store.setAttention(orderNo, reason)) ? reason : null
  }

  async #current(orderNo: string): Promise<PaymentOrderRecord> {
    const order = await this.#deps.store.getOrder(orderNo)
    if (order === null) throw new UnknownOrderError(orderNo)
    return order
  }
}

function setupAlert(orderNo: string, answer: SetupErrorOutcome, message: string): UnflaggedAlert & { kind: 'setup_error' } {
  const alert: UnflaggedAlert & { kind: 'setup_error' } = {
    kind: 'setup_error',
    orderNo,
    source: 'cancel',
    message,
    alipayResultCode: answer.resultCode,
    resultMessage: answer.resultMessage,
  }
  if (answer.httpStatus !== undefined) alert.httpStatus = answer.httpStatus
  return alert
}

function setupFields(orderNo: string, answer: SetupErrorOutcome): object {
  return { orderNo, resultCode: answer.resultCode, resultMessage: answer.resultMessage }
}
