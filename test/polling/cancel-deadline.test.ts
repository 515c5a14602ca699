// Alipay+ accepts cancelPayment for the transactions of a day until 00:15 GMT+8 the next day.
import t from 'tap'
import { cancelDeadline } from '../../src/polling/cancel-deadline.js'

t.test("the deadline is 00:15 GMT+8 after the order's GMT+8 day, whatever the server's zone", async (t) => {
  const cases: Array<[string, string]> = [
    ['2026-11-26T10:00:00+08:00', '2026-11-27T00:15:00+08:00'],
    ['2026-11-26T00:00:00+08:00', '2026-11-27T00:15:00+08:00'],
    ['2026-11-26T23:59:59.999+08:00', '2026-11-27T00:15:00+08:00'],
    // 00:10 GMT+8 is already the next day there, though still the day before in UTC.
    ['2026-11-25T16:10:00Z', '2026-11-27T00:15:00+08:00'],
    ['2026-11-25T15:59:59Z', '2026-11-26T00:15:00+08:00'],
    // Month and year ends.
    ['2026-11-30T12:00:00+08:00', '2026-12-01T00:15:00+08:00'],
    ['2026-12-31T12:00:00+08:00', '2027-01-01T00:15:00+08:00'],
    ['2028-02-28T12:00:00+08:00', '2028-02-29T00:15:00+08:00'],
  ]
  for (const [createdAt, deadline] of cases) {
    t.equal(cancelDeadline(new Date(createdAt)).toISOString(), new Date(deadline).toISOString(), createdAt)
  }
})
