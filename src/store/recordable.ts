// Turns the values of a signed Alipay+ message into what every provider can store, so that no
// message Alipay+ can legitimately sign is ever refused by the database. The exact message is
// kept as text in the event's payload; only the copies in typed columns are adjusted here.
import { createHash } from 'node:crypto'

/** The payload column's text: the raw JSON as received, or the serialisation of an object. */
export function payloadText(payload: unknown): string {
  // JSON.stringify escapes NUL and lone surrogates, so the text stores on every provider.
  return typeof payload === 'string' ? payload.toWellFormed() : JSON.stringify(payload ?? {})
}

export function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/**
 * A string copied into a typed column. PostgreSQL text cannot hold NUL, and a lone surrogate
 * has no UTF-8 form: both become U+FFFD in the copy (the payload keeps the original).
 */
export function columnText(value: string | null | undefined): string | null {
  if (value == null) return null
  return value.replaceAll('\0', '\uFFFD').toWellFormed()
}

// MySQL's DATETIME holds years 1000 to 9999; every provider can store that range.
const EARLIEST = Date.UTC(1000, 0, 1)
const LATEST = Date.UTC(10000, 0, 1)

/** A paymentTime for the typed column, or null when unreadable or out of range (kept in the payload). */
export function columnTime(value: Date | string | null | undefined): Date | null {
  if (value == null) return null
  const time = (value instanceof Date ? value : new Date(value)).getTime()
  return Number.isNaN(time) || time < EARLIEST || time >= LATEST ? null : new Date(time)
}
