// awaitPaymentResult's per-call options, read by the resolver of the plugin's own options
// (option-table.ts): undefined takes the default, and a key it does not know is an error with
// the nearest name, so that `{ timeout: 5_000 }` fails at the call instead of waiting the whole
// polling window.
import { InvalidOptionError } from '../errors.js'
import { type Group, optional, resolveGroup, shown } from '../option-table.js'
import { MAX_TIMER_MS, TIMER_LIMIT_PROBLEM } from '../timer-limit.js'
import type { AwaitOptions } from './poller-types.js'

export type ResolvedAwaitOptions = Required<Pick<AwaitOptions, 'timeoutMs'>> & Pick<AwaitOptions, 'signal'>

function abortSignal(value: unknown, path: string): AbortSignal {
  const signal = value as Partial<AbortSignal>
  if (typeof value !== 'object' || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
    throw new InvalidOptionError(path, `must be an AbortSignal, got ${shown(value)}`)
  }
  return value as AbortSignal
}

/** A positive number of milliseconds (a fraction is fine) that a timer can hold. */
function waitMs(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(path, `must be a positive number, got ${shown(value)}`)
  }
  // The wait becomes a timer delay: above the cap it would end after 1 ms.
  if (value > MAX_TIMER_MS) throw new InvalidOptionError(path, TIMER_LIMIT_PROBLEM)
  return value
}

/** The resolver of one poller: a caller's wait defaults to the polling window (polling.maxRetryTimeMs). */
export function awaitOptionsReader(defaultTimeoutMs: number): (options: AwaitOptions | undefined) => ResolvedAwaitOptions {
  const table: Group<ResolvedAwaitOptions> = {
    rules: {
      signal: optional<AbortSignal | undefined>(undefined, abortSignal),
      timeoutMs: optional(defaultTimeoutMs, waitMs),
    },
    label: 'awaitPaymentResult',
  }
  return (options) => resolveGroup(options, '', table)
}
