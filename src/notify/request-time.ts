// The optional replay window on a notification's Request-Time. Alipay+ documents no such
// window, so it is off by default. The formats seen in Alipay+ traffic are ISO 8601 with an
// offset (2019-04-04T12:08:56+05:30, 2025-02-20T08:51:49.09Z) and epoch milliseconds
// (1685599933871). A time without an offset is local to an unknown zone: unreadable.
const EPOCH_MILLISECONDS = /^\d{1,15}$/
const ISO_8601_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/i

/** Milliseconds since the epoch, or null when the value is in neither format. */
export function parseRequestTime(value: string): number | null {
  if (EPOCH_MILLISECONDS.test(value)) return Number(value)
  if (!ISO_8601_WITH_OFFSET.test(value)) return null
  const time = Date.parse(value)
  return Number.isNaN(time) ? null : time
}

export type RequestTimeProblem = 'request_time_unreadable' | 'request_time_outside_window'

/** Null when the time is within toleranceMs of now, either side (clocks drift both ways). */
export function checkRequestTime(value: string, toleranceMs: number, now = Date.now()): RequestTimeProblem | null {
  const time = parseRequestTime(value)
  if (time === null) return 'request_time_unreadable'
  return Math.abs(now - time) > toleranceMs ? 'request_time_outside_window' : null
}
