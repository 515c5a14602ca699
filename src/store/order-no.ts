// The orderNo check shared by the store, the poller and the notify route. orderNo is sent to
// Alipay+ as paymentRequestId, which is at most 64 characters. It is also a database key, a log
// field and a value a human compares by eye, so the characters that make two ids look alike or
// break a log line are refused: control characters (C0, DEL, C1; NUL also breaks PostgreSQL
// text), lone UTF-16 surrogates (not encodable as UTF-8), and leading or trailing whitespace.
import { InvalidOrderNoError } from '../errors.js'

export const MAX_ORDER_NO_LENGTH = 64

/** Control characters: C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F). */
const CONTROL_CHARACTER = /[\u0000-\u001F\u007F-\u009F]/

/** With the "u" flag a surrogate range matches only a surrogate that is not half of a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

/**
 * The same rule as a JSON-schema pattern (Ajv compiles patterns with the "u" flag, where a
 * surrogate range matches only unpaired surrogates): no control character, no lone surrogate,
 * no whitespace (as String.prototype.trim sees it) at either end. The length is the schema's
 * minLength/maxLength.
 */
export const ORDER_NO_PATTERN = '^(?!\\s)[^\\u0000-\\u001F\\u007F-\\u009F\\uD800-\\uDFFF]*(?<!\\s)$'

// A rejected value is quoted in the message, escaped and bounded: it comes from outside, and
// must not break or spoof a log line. JSON.stringify leaves DEL, C1 and Unicode spaces as they are.
function quoted(value: unknown): string {
  const text = (JSON.stringify(value) ?? String(value)).replace(
    /[\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
  return text.length > 100 ? `${text.slice(0, 100)}...` : text
}

function problem(orderNo: unknown): string | null {
  if (typeof orderNo !== 'string' || orderNo.length === 0 || orderNo.length > MAX_ORDER_NO_LENGTH) {
    return `orderNo must be a string of 1 to ${MAX_ORDER_NO_LENGTH} characters`
  }
  if (CONTROL_CHARACTER.test(orderNo)) return 'orderNo must not contain control characters'
  if (LONE_SURROGATE.test(orderNo)) return 'orderNo must not contain lone UTF-16 surrogates'
  if (orderNo.trim() !== orderNo) return 'orderNo must not start or end with whitespace'
  return null
}

export function assertOrderNo(orderNo: unknown): asserts orderNo is string {
  const why = problem(orderNo)
  if (why !== null) throw new InvalidOrderNoError(`${why}, got ${quoted(orderNo)}`)
}
