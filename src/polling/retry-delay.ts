// The longest wait p-retry 7 can make after a given attempt, so that a lease taken at that
// attempt lasts until the next one. p-retry's calculateDelay: round(random * minTimeout *
// factor ** (attempt - 1)), random in [1, 2) with randomize (else 1), capped at maxTimeout.
import type { PollingOptions } from '../options.js'

/** Upper bound of p-retry's wait after attempt `attemptNumber` (1-based) fails. */
export function maxDelayAfter(attemptNumber: number, polling: Required<PollingOptions>): number {
  const spread = polling.randomize ? 2 : 1
  const grown = spread * polling.minTimeoutMs * polling.factor ** (Math.max(1, attemptNumber) - 1)
  return Math.min(Math.ceil(grown), polling.maxTimeoutMs)
}
