import t from 'tap'
import { checkRequestTime, parseRequestTime } from '../../src/notify/request-time.js'

t.test('the Request-Time formats seen from Alipay+', async (t) => {
  t.equal(parseRequestTime('2019-04-04T12:08:56+05:30'), Date.UTC(2019, 3, 4, 6, 38, 56))
  t.equal(parseRequestTime('2025-02-20T08:51:49.09Z'), Date.UTC(2025, 1, 20, 8, 51, 49, 90))
  t.equal(parseRequestTime('2025-02-20T08:51:49.123456Z'), Date.UTC(2025, 1, 20, 8, 51, 49, 123))
  t.equal(parseRequestTime('2019-04-04T12:08:56+0530'), Date.UTC(2019, 3, 4, 6, 38, 56))
  t.equal(parseRequestTime('1685599933871'), 1685599933871)
  for (const unreadable of ['', 'yesterday', '2019-04-04T12:08:56', '2019-04-04 12:08:56Z', '1685599933871.5', '-1', '2019-13-45T99:99:99Z', '12345678901234567890']) {
    t.equal(parseRequestTime(unreadable), null, JSON.stringify(unreadable))
  }
})

t.test('the window is symmetric: clocks drift both ways', async (t) => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0)
  t.equal(checkRequestTime('2026-01-01T12:04:59Z', 300_000, now), null)
  t.equal(checkRequestTime('2026-01-01T19:55:01+08:00', 300_000, now), null)
  t.equal(checkRequestTime(String(now - 300_000), 300_000, now), null, 'the edge is inside')
  t.equal(checkRequestTime(String(now - 300_001), 300_000, now), 'request_time_outside_window')
  t.equal(checkRequestTime('2026-01-01T12:05:01Z', 300_000, now), 'request_time_outside_window')
  t.equal(checkRequestTime('soon', 300_000, now), 'request_time_unreadable')
})
