// What the plugin tells the application when a payment needs a human or the setup is wrong:
// one discriminated union, handed to the `onAttention` option. `attention` says whether (and
// why) the order was flagged in its `attention` column by this event, so that the reconciler
// leaves it alone and store.findOrdersNeedingAttention() lists it.
import type { Amount } from '../store/amount.js'
import type { FinalStatus, ResultSource } from '../store/prisma-types.js'

/** The values the plugin writes to PaymentOrder.attention. */
export type AttentionReason =
  | 'amount_mismatch'
  | 'invalid_answer'
  | 'cancel_refused'
  | 'cancel_unconfirmed'
  | 'cancel_deadline_passed'
  | 'gave_up'
  | 'success_after_cancel'
  | 'not_found'

interface AlertBase {
  orderNo: string
  /** Where the message or call that raised it came from (for a delivery alert: the result's source). */
  source: ResultSource
  /** What the order's attention column was set to by this event; null when it was not flagged. */
  attention: AttentionReason | null
  /** One sentence for a human, as logged. */
  message: string
}

/** A final result that disagrees with the recorded one: the first stands, the later is an event. */
export interface ConflictingResultAlert extends AlertBase {
  kind: 'conflicting_result'
  recorded: { status: FinalStatus; source: ResultSource | null; resultCode: string | null }
  received: { status: FinalStatus; resultCode: string | null }
  /** The audit event of the conflicting message. */
  eventId: string
}

/** A success whose amount differs from the order's: the order stays init, the event is recorded. */
export interface AmountMismatchAlert extends AlertBase {
  kind: 'amount_mismatch'
  expected: Amount
  received: Amount
  eventId: string
}

/** Alipay+ refused a call in a way retrying cannot fix, or its answer could not be trusted. */
export interface SetupErrorAlert extends AlertBase {
  kind: 'setup_error'
  alipayResultCode: string
  resultMessage: string
  httpStatus?: number
}

/** A signed inquiry answer that cannot be recorded (a SUCCESS without a valid paymentAmount). */
export interface InvalidAnswerAlert extends AlertBase {
  kind: 'invalid_answer'
  /** paymentResult.resultCode of the answer. */
  resultCode: string
  problem: string
}

/** cancelPayment answered F: the cancel did not happen, and an inquiry still had no result. */
export interface CancelRefusedAlert extends AlertBase {
  kind: 'cancel_refused'
  alipayResultCode: string
  resultMessage: string
}

/**
 * cancelPayment was sent and never gave a trusted S or F: U, 5xx, timeouts to the last retry, an
 * untrusted answer (order flagged), or this instance stopped working it: close(), the order's
 * lease held by another instance, a database error (not flagged: the reconciler resumes it).
 */
export interface CancelUnconfirmedAlert extends AlertBase {
  kind: 'cancel_unconfirmed'
  /** The last attempt's outcome, or why this instance stopped. */
  lastOutcome: string
}

/**
 * The order was recorded SUCCESS (by a notification, an inquiry, or the application) after a
 * cancelPayment was sent for it: Alipay+ may have refunded the payment ('sent': the cancel's
 * outcome is unknown) or has refunded it ('confirmed'). The order is flagged for a human.
 */
export interface SuccessAfterCancelAlert extends AlertBase {
  kind: 'success_after_cancel'
  cancelState: 'sent' | 'confirmed'
  cancelSentAt: Date | null
}

/** The window ended after Alipay+'s cancel deadline (T+1 00:15 GMT+8): no cancel was sent. */
export interface CancelDeadlinePassedAlert extends AlertBase {
  kind: 'cancel_deadline_passed'
  deadline: Date
  createdAt: Date
}

/** The reconciler stopped driving an order older than reconcile.maxAgeMs that never got a result. */
export interface GaveUpAlert extends AlertBase {
  kind: 'gave_up'
  createdAt: Date
  maxAgeMs: number
}

/**
 * The reconciler stopped driving an order older than reconcile.notFoundGiveUpMs whose inquiries
 * still answer ORDER_NOT_EXIST (Alipay+ never learnt of the payment: an abandoned checkout).
 */
export interface NotFoundAlert extends AlertBase {
  kind: 'not_found'
  createdAt: Date
  /** Inquiries in a row that answered ORDER_NOT_EXIST. */
  notFoundCount: number
  notFoundGiveUpMs: number
}

/**
 * onPaymentResult failed run after run: raised once per result, when the run numbered
 * delivery.alertAfterAttempts fails. Delivery goes on retrying.
 */
export interface DeliveryFailingAlert extends AlertBase {
  kind: 'delivery_failing'
  status: FinalStatus
  /** Runs so far (the failed one included). */
  attempts: number
  /** The failed run's error, as kept in deliveryError. */
  lastError: string
}

/**
 * onPaymentResult's retries are used up (delivery.retries or delivery.maxRetryTimeMs): the result
 * is a dead letter (deliveryGaveUpAt set), never run again until store.retryDelivery(orderNo).
 */
export interface DeliveryExhaustedAlert extends AlertBase {
  kind: 'delivery_exhausted'
  status: FinalStatus
  attempts: number
  /** The last failed run's error; null when no run failed (the last one was cut short by a crash). */
  lastError: string | null
}

export type AttentionAlert =
  | ConflictingResultAlert
  | AmountMismatchAlert
  | SetupErrorAlert
  | InvalidAnswerAlert
  | CancelRefusedAlert
  | CancelUnconfirmedAlert
  | CancelDeadlinePassedAlert
  | GaveUpAlert
  | SuccessAfterCancelAlert
  | NotFoundAlert
  | DeliveryFailingAlert
  | DeliveryExhaustedAlert

export type AttentionKind = AttentionAlert['kind']

/** The `onAttention` option. It may be async; it is never awaited by the plugin. */
export type AttentionHook = (alert: AttentionAlert) => void | Promise<void>
