// The onPaymentResult option and its `delivery` settings: types, defaults and the checks run at
// register(). The retry settings carry p-retry's names and meaning; the schedule itself lives
// in the database (deliveryDueAt), so that it survives a restart.
import { InvalidOptionError } from '../errors.js'
import type { PaymentResult } from '../polling/payment-result.js'
import { MAX_TIMER_MS, TIMER_LIMIT_PROBLEM } from '../timer-limit.js'

/** What onPaymentResult receives beside the result. */
export interface PaymentResultContext {
  /**
   * `${orderNo}:${finalEventId}`: the same for every run of this result, on every instance and
   * after restarts. Store it with the effect of the handler to make a repeated run a no-op.
   */
  idempotencyKey: string
  /** 1 for the first run of this result; counted in the database, so across restarts too. */
  attempt: number
  /** Aborted when the run times out (delivery.timeoutMs), loses its claim, or the server closes. */
  signal: AbortSignal
  /** true when an operator asked for this run (the admin API's retryDelivery, redeliver). */
  manual: boolean
}

/**
 * Called once for every order that becomes final (at least once; exactly once unless an
 * instance dies or loses its claim mid-run). A throw or a timeout is retried with backoff.
 */
export type PaymentResultHandler = (result: PaymentResult, context: PaymentResultContext) => Promise<void> | void

/** How onPaymentResult runs and is retried. Backoff options carry p-retry's names and formula. */
export interface DeliveryOptions {
  /** A run taking longer fails (and is retried); its signal aborts. Default 30000 ms. */
  timeoutMs?: number
  /** Wait before the second run. Default 1000 ms. */
  minTimeout?: number
  /** Longest wait between two runs. Default 300000 ms (5 minutes). */
  maxTimeout?: number
  /** Growth of the wait from one run to the next. Default 2. */
  factor?: number
  /** Spread each wait by a random factor in [1, 2). Default true. */
  randomize?: boolean
  /** Runs after the first before giving up. Default Infinity. */
  retries?: number
  /** Give up once the result has been final this long (ms). Default Infinity. */
  maxRetryTime?: number
  /** Handlers running at once on this instance. Default 8. */
  concurrency?: number
  /** How long an instance's claim on a run lasts; renewed every leaseMs / 3 while the handler runs. Default 30000 ms. */
  leaseMs?: number
  /**
   * The largest difference between two instances' clocks that delivery tolerates: a run is
   * aborted this long before its claim could lapse, if no renewal was confirmed. At most
   * leaseMs / 2. Default leaseMs / 6 (5000 ms with the default claim).
   */
  maxClockSkewMs?: number
  /** Raise onAttention `delivery_failing` when the run numbered this fails (once per result). Default 3. */
  alertAfterAttempts?: number
  /** How often to look for results left undelivered (another instance died, a restart, a retry). Default 10000 ms. */
  sweepIntervalMs?: number
  /** Results taken per sweep. Default 100. */
  batchSize?: number
}

export type ResolvedDeliveryOptions = Required<DeliveryOptions>

/** maxClockSkewMs when not set: a sixth of the claim, so that 5 s of skew fit the default 30 s claim. */
const SKEW_FRACTION = 6

// maxClockSkewMs is left out: its default follows leaseMs (see resolveDelivery).
export const DELIVERY_DEFAULTS = {
  timeoutMs: 30_000,
  minTimeout: 1_000,
  maxTimeout: 300_000,
  factor: 2,
  randomize: true,
  retries: Number.POSITIVE_INFINITY,
  maxRetryTime: Number.POSITIVE_INFINITY,
  concurrency: 8,
  leaseMs: 30_000,
  sweepIntervalMs: 10_000,
  batchSize: 100,
  alertAfterAttempts: 3,
} as const satisfies Omit<ResolvedDeliveryOptions, 'maxClockSkewMs'>

function check(ok: boolean, name: string, problem: string): void {
  if (!ok) throw new InvalidOptionError(`delivery.${name}`, problem)
}

function duration(value: unknown, name: string): void {
  check(typeof value === 'number' && Number.isInteger(value) && value > 0, name, `must be a positive integer, got ${JSON.stringify(value)}`)
  check((value as number) <= MAX_TIMER_MS, name, TIMER_LIMIT_PROBLEM)
}

export function resolveDelivery(
  handler: unknown,
  value: DeliveryOptions | undefined,
): { onPaymentResult: PaymentResultHandler | undefined; delivery: ResolvedDeliveryOptions } {
  if (handler !== undefined && typeof handler !== 'function') {
    throw new InvalidOptionError('onPaymentResult', 'must be a function (result, context) => Promise<void>')
  }
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new InvalidOptionError('delivery', 'must be an object')
  }
  const merged = { ...DELIVERY_DEFAULTS, ...value }
  const delivery: ResolvedDeliveryOptions = {
    ...merged,
    maxClockSkewMs: merged.maxClockSkewMs ?? Math.floor(merged.leaseMs / SKEW_FRACTION),
  }
  for (const name of ['timeoutMs', 'minTimeout', 'maxTimeout', 'leaseMs', 'sweepIntervalMs'] as const) duration(delivery[name], name)
  check(delivery.maxTimeout >= delivery.minTimeout, 'maxTimeout', 'must be at least delivery.minTimeout')
  check(typeof delivery.factor === 'number' && delivery.factor >= 1 && Number.isFinite(delivery.factor), 'factor', 'must be a number >= 1')
  check(typeof delivery.randomize === 'boolean', 'randomize', 'must be a boolean')
  const { retries, maxRetryTime } = delivery
  check(retries === Number.POSITIVE_INFINITY || (Number.isInteger(retries) && retries >= 0), 'retries', 'must be an integer >= 0 or Infinity')
  check(
    maxRetryTime === Number.POSITIVE_INFINITY || (Number.isInteger(maxRetryTime) && maxRetryTime > 0),
    'maxRetryTime',
    'must be a positive integer (ms) or Infinity',
  )
  for (const name of ['concurrency', 'batchSize'] as const) {
    const n = delivery[name]
    check(Number.isInteger(n) && n > 0, name, `must be a positive integer, got ${JSON.stringify(n)}`)
  }
  // A claim must outlive the gap between two renewals by a wide margin.
  check(delivery.leaseMs >= 300, 'leaseMs', 'must be at least 300 ms')
  const skew = delivery.maxClockSkewMs
  check(typeof skew === 'number' && Number.isInteger(skew) && skew >= 0, 'maxClockSkewMs', `must be an integer >= 0 (ms), got ${JSON.stringify(skew)}`)
  // A renewal is sent leaseMs / 3 after the last one and must be confirmed before the deadline,
  // leaseMs - maxClockSkewMs after it: at most leaseMs / 2 leaves it leaseMs / 6 for the round trip.
  check(skew <= delivery.leaseMs / 2, 'maxClockSkewMs', `must be at most delivery.leaseMs / 2 (${Math.floor(delivery.leaseMs / 2)} ms)`)
  const alertAfter = delivery.alertAfterAttempts
  check(
    alertAfter === Number.POSITIVE_INFINITY || (Number.isInteger(alertAfter) && alertAfter >= 1),
    'alertAfterAttempts',
    'must be an integer >= 1, or Infinity (never)',
  )
  return { onPaymentResult: handler as PaymentResultHandler | undefined, delivery }
}

/** The wait before run `attempt + 1` after run `attempt` failed: p-retry's calculateDelay. */
export function retryDelay(attempt: number, options: ResolvedDeliveryOptions): number {
  const random = options.randomize ? Math.random() + 1 : 1
  return Math.min(Math.round(random * options.minTimeout * options.factor ** (Math.max(1, attempt) - 1)), options.maxTimeout)
}
