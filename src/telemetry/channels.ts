// The plugin's node:diagnostics_channel API: what it does, published for any subscriber (an APM
// agent, a test, the plugin's own OpenTelemetry binding and health), at no cost without one:
// every helper checks hasSubscribers first and then only calls the work it wraps.
//   TracingChannels (start, end, asyncStart, asyncEnd, error):
//     alipayplus:notify     one notifyPayment request, from arrival to the answer sent
//     alipayplus:inquiry    one inquiryPayment or cancelPayment call (`operation`)
//     alipayplus:deliver    one run of onPaymentResult
//     alipayplus:reconcile  one reconcile pass
//   Channels:
//     alipayplus:transition every init -> final transition this instance won
//     alipayplus:wakeup     the wake-up channel's connect, disconnect and resync
// The message shapes below are a stable API (docs/observability.md).
import diagnostics from 'node:diagnostics_channel'
import type { CancelOutcome } from '../protocol/cancel-outcome.js'
import type { InquiryOutcome } from '../protocol/inquiry-outcome.js'
import type { FinalStatus, PaymentOrderRecord, ResultSource } from '../store/prisma-types.js'

/**
 * The plugin object that published a message (its inquiry client, delivery, reconciler, wake-up
 * channel or store): lets the plugin's own subscribers keep to their instance when several
 * run in one process. Not part of the public message shape.
 */
export const OWNER: unique symbol = Symbol('alipayplus.owner')
/** Set by a `start` subscriber to run the traced work inside its context (a span's). */
export const RUN_INSIDE: unique symbol = Symbol('alipayplus.runInside')

interface Internal {
  [OWNER]?: object
  [RUN_INSIDE]?: <T>(work: () => T) => T
}

export interface NotifyMessage extends Internal {
  /** paymentRequestId of a verified, well-formed notification; undefined before or without one. */
  orderNo?: string
  /** HTTP status of the answer. */
  statusCode?: number
  /** result.resultStatus of the answer (S, U, F), or the HTTP class ('5xx') of an answer without one. */
  answer?: string
  /** result.resultCode of the answer (SUCCESS, INVALID_SIGNATURE, ORDER_NOT_EXIST, UNKNOWN_EXCEPTION...). */
  resultCode?: string
  /** On an S answer: 'recorded' (this message decided the order), 'already_final', 'conflicting_result' or 'amount_mismatch'. */
  outcome?: string
  error?: unknown
}

export interface InquiryMessage extends Internal {
  operation: 'inquiryPayment' | 'cancelPayment'
  orderNo: string
  /** The call's outcome (set at asyncStart): InquiryOutcome or CancelOutcome. */
  result?: InquiryOutcome | CancelOutcome
  /** Only an abort or a closed client throws; everything else is an outcome. */
  error?: unknown
}

export interface DeliverMessage extends Internal {
  orderNo: string
  status: FinalStatus
  source: ResultSource | null
  /** 1 for the first run of this result. */
  attempt: number
  /** When the order became final: the lag is the time from it to this run's start. */
  finalizedAt: Date | null
  error?: unknown
}

export interface ReconcileMessage extends Internal {
  /** Orders the pass started polling (set at asyncStart). */
  result?: number
  /** The pass could not list the pending orders (it then resolves with 0). */
  error?: unknown
}

export interface TransitionMessage extends Internal {
  orderNo: string
  status: FinalStatus
  source: ResultSource
  createdAt: Date
  finalizedAt: Date
}

export interface WakeupMessage extends Internal {
  event: 'connect' | 'disconnect' | 'resync'
  kind: 'postgres' | 'redis'
  /** The NOTIFY or pub/sub channel name. */
  channel: string
  error?: unknown
}

export const notifyChannel = diagnostics.tracingChannel<unknown, NotifyMessage & object>('alipayplus:notify')
export const inquiryChannel = diagnostics.tracingChannel<unknown, InquiryMessage & object>('alipayplus:inquiry')
export const deliverChannel = diagnostics.tracingChannel<unknown, DeliverMessage & object>('alipayplus:deliver')
export const reconcileChannel = diagnostics.tracingChannel<unknown, ReconcileMessage & object>('alipayplus:reconcile')
export const transitionChannel = diagnostics.channel('alipayplus:transition')
export const wakeupChannel = diagnostics.channel('alipayplus:wakeup')

function runInside<T>(message: Internal, work: () => Promise<T>): Promise<T> {
  const inside = message[RUN_INSIDE]
  return inside === undefined ? work() : inside(work)
}

/** One inquiryPayment or cancelPayment call of `client`. */
export function traceCall<T extends InquiryOutcome | CancelOutcome>(
  client: object,
  operation: InquiryMessage['operation'],
  orderNo: string,
  call: () => Promise<T>,
): Promise<T> {
  if (!inquiryChannel.hasSubscribers) return call()
  const message: InquiryMessage = { operation, orderNo, [OWNER]: client }
  return inquiryChannel.tracePromise(() => runInside(message, call), message)
}

/** One run of onPaymentResult for `order`, by `delivery`. */
export function traceDelivery(delivery: object, order: PaymentOrderRecord, attempt: number, run: () => Promise<void>): Promise<void> {
  if (!deliverChannel.hasSubscribers) return run()
  const message: DeliverMessage = {
    orderNo: order.orderNo,
    status: order.status as FinalStatus,
    source: order.resultSource,
    // The run's own number, from its claim: the order row read before may be a run behind.
    attempt,
    finalizedAt: order.finalizedAt,
    [OWNER]: delivery,
  }
  return deliverChannel.tracePromise(() => runInside(message, run), message)
}

/** The pass running now, per reconciler, for reconcileFailed. Passes never overlap. */
const currentPass = new WeakMap<object, ReconcileMessage>()

/** One pass of `reconciler`. */
export function traceReconcile(reconciler: object, pass: () => Promise<number>): Promise<number> {
  if (!reconcileChannel.hasSubscribers) return pass()
  const message: ReconcileMessage = { [OWNER]: reconciler }
  currentPass.set(reconciler, message)
  return reconcileChannel.tracePromise(pass, message).finally(() => currentPass.delete(reconciler))
}

/** The running pass of `reconciler` could not list its orders. */
export function reconcileFailed(reconciler: object, error: unknown): void {
  const message = currentPass.get(reconciler)
  if (message !== undefined) message.error = error
}

/** A transition `store` won (its onFinalized listener). */
export function publishTransition(store: object, order: PaymentOrderRecord): void {
  if (!transitionChannel.hasSubscribers) return
  const message: TransitionMessage = {
    orderNo: order.orderNo,
    status: order.status as FinalStatus,
    source: order.resultSource as ResultSource,
    createdAt: order.createdAt,
    finalizedAt: order.finalizedAt ?? new Date(),
    [OWNER]: store,
  }
  transitionChannel.publish(message)
}

/** A wake-up channel's connection event. */
export function publishWakeup(
  channel: object,
  event: WakeupMessage['event'],
  kind: WakeupMessage['kind'],
  name: string,
  error?: unknown,
): void {
  if (!wakeupChannel.hasSubscribers) return
  const message: WakeupMessage = { event, kind, channel: name, [OWNER]: channel }
  if (error !== undefined) message.error = error
  wakeupChannel.publish(message)
}

/** The publishing plugin object of a message (see OWNER). */
export function ownerOf(message: unknown): object | undefined {
  return (message as Internal)[OWNER]
}
