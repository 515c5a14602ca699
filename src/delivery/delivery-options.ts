// The onPaymentResult option and its `delivery` settings: types, defaults and the checks run at
// register(). The retry settings carry p-retry's meaning; the schedule itself lives in the
// database (deliveryDueAt), so that it survives a restart.
import { InvalidOptionError } from '../errors.js'
import type { PaymentResult } from '../polling/payment-result.js'
import {
  boolean,
  durationMs,
  type Group,
  integerAtLeast,
  optional,
  positiveInteger,
  resolveGroup,
  shown,
} from '../option-table.js'

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

/**
 * How onPaymentResult runs and is retried. The backoff follows p-retry's formula; its options
 * carry p-retry's names with the unit added (minTimeoutMs for p-retry's minTimeout...).
 */
export interface DeliveryOptions {
  /** A run taking longer fails (and is retried); its signal aborts. Default 30000 ms. */
  timeoutMs?: number
  /** Wait before the second run. Default 1000 ms. */
  minTimeoutMs?: number
  /** Longest wait between two runs. Default 300000 ms (5 minutes). */
  maxTimeoutMs?: number
  /** Growth of the wait from one run to the next. Default 2. */
  factor?: number
  /** Spread each wait by a random factor in [1, 2). Default true. */
  randomize?: boolean
  /** Runs after the first before giving up. Default Infinity. */
  retries?: number
  /** Give up once the result has been final this long. Default Infinity. */
  maxRetryTimeMs?: number
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

// maxClockSkewMs is left out: its default follows leaseMs.
export const DELIVERY_DEFAULTS = {
  timeoutMs: 30_000,
  minTimeoutMs: 1_000,
  maxTimeoutMs: 300_000,
  factor: 2,
  randomize: true,
  retries: Number.POSITIVE_INFINITY,
  maxRetryTimeMs: Number.POSITIVE_INFINITY,
  concurrency: 8,
  leaseMs: 30_000,
  sweepIntervalMs: 10_000,
  batchSize: 100,
  alertAfterAttempts: 3,
} as const satisfies Omit<ResolvedDeliveryOptions, 'maxClockSkewMs'>

const INFINITY = Number.POSITIVE_INFINITY
const D = DELIVERY_DEFAULTS

// In this order: maxClockSkewMs's default and limit follow leaseMs, resolved before it.
export const DELIVERY_OPTIONS: Group<ResolvedDeliveryOptions> = {
  rules: {
    timeoutMs: optional(D.timeoutMs, durationMs),
    minTimeoutMs: optional(D.minTimeoutMs, durationMs),
    maxTimeoutMs: optional(D.maxTimeoutMs, durationMs),
    factor: optional(D.factor, factor),
    randomize: optional(D.randomize, boolean),
    retries: optional(D.retries, countOrInfinity(0, 'no limit')),
    maxRetryTimeMs: optional(D.maxRetryTimeMs, countOrInfinity(1, 'no limit')),
    concurrency: optional(D.concurrency, (value, path) => positiveInteger(value, path)),
    // A claim must outlive the gap between two renewals by a wide margin.
    leaseMs: optional(D.leaseMs, (value, path) => {
      if (durationMs(value, path) < 300) throw new InvalidOptionError(path, 'must be at least 300 ms')
      return value as number
    }),
    maxClockSkewMs: {
      fallback: (_path, earlier) => Math.floor((earlier.leaseMs as number) / SKEW_FRACTION),
      read: (value, path) => integerAtLeast(value, path, 0),
    },
    alertAfterAttempts: optional(D.alertAfterAttempts, countOrInfinity(1, 'never')),
    sweepIntervalMs: optional(D.sweepIntervalMs, durationMs),
    batchSize: optional(D.batchSize, (value, path) => positiveInteger(value, path)),
  },
  renamed: { minTimeout: 'minTimeoutMs', maxTimeout: 'maxTimeoutMs', maxRetryTime: 'maxRetryTimeMs' },
  check(delivery, path) {
    if (delivery.maxTimeoutMs < delivery.minTimeoutMs) {
      throw new InvalidOptionError(`${path}.maxTimeoutMs`, `must be at least ${path}.minTimeoutMs`)
    }
    // A renewal is sent leaseMs / 3 after the last one and must be confirmed before the deadline,
    // leaseMs - maxClockSkewMs after it: at most leaseMs / 2 leaves it leaseMs / 6 for the round trip.
    if (delivery.maxClockSkewMs > delivery.leaseMs / 2) {
      throw new InvalidOptionError(`${path}.maxClockSkewMs`, `must be at most ${path}.leaseMs / 2 (${Math.floor(delivery.leaseMs / 2)} ms)`)
    }
  },
}

function countOrInfinity(min: number, infinity: string): (value: unknown, path: string) => number {
  return (value, path) => {
    if (value === INFINITY) return INFINITY
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw new InvalidOptionError(path, `must be an integer >= ${min}, or Infinity (${infinity}), got ${shown(value)}`)
    }
    return value
  }
}

/** A backoff factor: p-retry's growth of the wait, finite and at least 1. */
export function factor(value: unknown, path: string): number {
  if (typeof value !== 'number' || !(value >= 1) || !Number.isFinite(value)) throw new InvalidOptionError(path, 'must be a number >= 1')
  return value
}

export function resolveDelivery(value: DeliveryOptions | undefined): ResolvedDeliveryOptions {
  return resolveGroup(value, 'delivery', DELIVERY_OPTIONS)
}
