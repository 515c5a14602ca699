// Length limits of the Alipay+ fields the plugin stores in typed columns, as the ACQP docs give
// them (resultCode, paymentId: at most 64 characters). Shared by the notify schema and the
// inquiry reader, so that a field the notify route refuses is never recorded from an inquiry
// either (on MySQL, a longer value would not even fit the VARCHAR(191) column: the write would
// fail on every try).
export const MAX_SHORT_FIELD_LENGTH = 64

/** Why `value` is no valid short field (a non-empty string of at most 64 characters), or null. */
export function shortFieldProblem(name: string, value: string): string | null {
  if (value.length === 0) return `${name} is empty`
  if (value.length > MAX_SHORT_FIELD_LENGTH) return `${name} is longer than ${MAX_SHORT_FIELD_LENGTH} characters (${value.length})`
  return null
}
