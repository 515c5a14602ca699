// p-retry 7's backoff, in one place: the wait after a failed attempt is calculateDelay's
// round(random * minTimeout * factor ** (attempt - 1)), random in [1, 2) with randomize (else 1),
// capped at maxTimeout. Delivery draws that wait itself (its schedule lives in the database);
// polling, which lets p-retry wait, needs its upper bound, so that a lease taken at an attempt
// lasts until the next one.

/** p-retry's options, as the plugin names them (polling and delivery alike). */
export interface Backoff {
  minTimeoutMs: number
  maxTimeoutMs: number
  factor: number
  randomize: boolean
}

/** `spread * minTimeout * factor ** (attempt - 1)`, uncapped and unrounded (attempt 1-based). */
function grown(spread: number, attemptNumber: number, backoff: Backoff): number {
  return spread * backoff.minTimeoutMs * backoff.factor ** (Math.max(1, attemptNumber) - 1)
}

/** The wait before attempt `attempt + 1` after attempt `attempt` failed: p-retry's calculateDelay. */
export function retryDelay(attempt: number, backoff: Backoff): number {
  const random = backoff.randomize ? Math.random() + 1 : 1
  return Math.min(Math.round(grown(random, attempt, backoff)), backoff.maxTimeoutMs)
}

/** Upper bound of p-retry's wait after attempt `attemptNumber` (1-based) fails. */
export function maxDelayAfter(attemptNumber: number, backoff: Backoff): number {
  const spread = backoff.randomize ? 2 : 1
  return Math.min(Math.ceil(grown(spread, attemptNumber, backoff)), backoff.maxTimeoutMs)
}
