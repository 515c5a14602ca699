// Alipay+ accepts cancelPayment for the transactions of a day until 00:15 (GMT+8) of the next
// day. The day is the order's (createdAt) in GMT+8, whatever the server's time zone.
const GMT8_MS = 8 * 3_600_000

/** The last moment a payment created at `createdAt` may be cancelled: T+1 00:15 GMT+8. */
export function cancelDeadline(createdAt: Date): Date {
  const local = new Date(createdAt.getTime() + GMT8_MS)
  const nextDayAt0015 = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + 1, 0, 15)
  return new Date(nextDayAt0015 - GMT8_MS)
}
