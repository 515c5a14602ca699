// The channels' liveness settings: defaults, and clear errors naming the option up front.
import t from 'tap'
import { resolveWakeup, WAKEUP_DEFAULTS } from '../../src/wakeup/wakeup-options.js'

const PG = 'postgresql://127.0.0.1/shop'

t.test('defaults for both channels', async (t) => {
  const defaults = { heartbeatMs: 5_000, timeoutMs: 10_000, maxPending: 10_000 }
  t.match(resolveWakeup({ postgres: PG }), { kind: 'postgres', liveness: defaults })
  t.match(resolveWakeup({ redis: 'redis://127.0.0.1:6379' }), { kind: 'redis', liveness: defaults })
  t.match(WAKEUP_DEFAULTS, defaults)
})

t.test('given settings are kept', async (t) => {
  t.match(resolveWakeup({ postgres: PG, heartbeatMs: 1_000, timeoutMs: 3_000, maxPending: 50 }), { liveness: { heartbeatMs: 1_000, timeoutMs: 3_000, maxPending: 50 } })
})

t.test('bad settings are refused with the setting named', async (t) => {
  const cases: Array<[string, object, RegExp]> = [
    ['heartbeatMs zero', { postgres: PG, heartbeatMs: 0 }, /option "wakeup.heartbeatMs" must be a positive integer/],
    ['timeoutMs a string', { redis: 'redis://127.0.0.1', timeoutMs: '10s' }, /option "wakeup.timeoutMs" must be a positive integer/],
    ['timeoutMs above the timer limit', { postgres: PG, timeoutMs: 2 ** 31 }, /option "wakeup.timeoutMs" must be at most/],
    ['maxPending fractional', { postgres: PG, maxPending: 1.5 }, /option "wakeup.maxPending" must be a positive integer/],
    ['maxPending unbounded', { postgres: PG, maxPending: Number.POSITIVE_INFINITY }, /option "wakeup.maxPending" must be a positive integer/],
    ['maxPending too large', { postgres: PG, maxPending: 10_000_000 }, /option "wakeup.maxPending" must be at most 1000000/],
    ['liveness with the poll', { pollMs: 100, heartbeatMs: 100 }, /option "wakeup.heartbeatMs" is unknown/],
  ]
  for (const [name, value, message] of cases) {
    t.throws(() => resolveWakeup(value as never), { code: 'FST_ALIPAYPLUS_INVALID_OPTION', message }, name)
  }
})
