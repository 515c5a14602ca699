// Alipay+ Amount: { currency: ISO 4217, value: non-negative integer in minor units, as a
// string }. Never parsed into a float: compared as strings after validation.
import { InvalidAmountError } from '../errors.js'

export interface Amount {
  currency: string
  value: string
}

// 18 digits stays below 2^63 and far above any real payment; leading zeros are refused so
// that string equality is numeric equality.
const MINOR_UNITS = /^(0|[1-9][0-9]{0,17})$/
const CURRENCY = /^[A-Z]{3}$/

/** Whether `amount` is a well-formed Amount (see assertAmount). */
export function isAmount(amount: unknown): amount is Amount {
  try {
    assertAmount(amount)
    return true
  } catch {
    return false
  }
}

export function assertAmount(amount: unknown, what = 'amount'): asserts amount is Amount {
  if (typeof amount !== 'object' || amount === null) {
    throw new InvalidAmountError(`${what} must be an object { currency, value }`)
  }
  const { currency, value } = amount as Record<string, unknown>
  if (typeof currency !== 'string' || !CURRENCY.test(currency)) {
    throw new InvalidAmountError(`${what}.currency must be an ISO 4217 code like "USD", got ${JSON.stringify(currency)}`)
  }
  if (typeof value !== 'string' || !MINOR_UNITS.test(value)) {
    throw new InvalidAmountError(
      `${what}.value must be a string of a non-negative integer in minor units ("100" for USD 1.00), got ${JSON.stringify(value)}`,
    )
  }
}
