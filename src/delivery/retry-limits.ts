// When delivery stops retrying a result (delivery.retries, delivery.maxRetryTimeMs), and the
// alerts that say so: `delivery_failing` once the run numbered alertAfterAttempts fails,
// `delivery_exhausted` when the result becomes a dead letter (deliveryGaveUpAt).
import type { FastifyBaseLogger } from 'fastify'
import type { AttentionAlerts } from '../attention/attention-alerts.js'
import type { FinalStatus, PaymentOrderRecord } from '../store/prisma-types.js'
import type { ResolvedDeliveryOptions } from './delivery-options.js'

/** The retries are used up before another run: `runs` made, or the result final too long by `at`. */
export function limitsReached(options: ResolvedDeliveryOptions, order: PaymentOrderRecord, runs: number, at: number): boolean {
  const finalizedAt = order.finalizedAt?.getTime() ?? at
  return runs > options.retries || at > finalizedAt + options.maxRetryTimeMs
}

type Failed = { order: PaymentOrderRecord; attempts: number; lastError: string | null }

/** The fields every delivery alert carries. */
function base({ order }: Failed) {
  // A final order always has a source, unless a human finalized it with SQL.
  return { orderNo: order.orderNo, source: order.resultSource ?? 'manual', attention: null, status: order.status as FinalStatus }
}

/** Only the hook: each failed run is already logged at warn (the handler is the application's, and still retried). */
export function alertFailing(alerts: AttentionAlerts, failed: Failed & { lastError: string }): void {
  const message = `alipayplus delivery: onPaymentResult failed again (run ${failed.attempts}, delivery.alertAfterAttempts); still retrying`
  alerts.emit({ ...base(failed), kind: 'delivery_failing', message, attempts: failed.attempts, lastError: failed.lastError })
}

const EXHAUSTED_MESSAGE =
  'alipayplus delivery: onPaymentResult retries are used up: a dead letter (deliveryGaveUpAt set), never run again ' +
  'until store.retryDelivery(orderNo); see store.findUndelivered({ state: "gave_up" })'

/** Logged at error with `fields`, then raised. */
export function alertExhausted(alerts: AttentionAlerts, failed: Failed, fields: object, log: FastifyBaseLogger): void {
  alerts.raise({ ...base(failed), kind: 'delivery_exhausted', message: EXHAUSTED_MESSAGE, attempts: failed.attempts, lastError: failed.lastError }, fields, log)
}
