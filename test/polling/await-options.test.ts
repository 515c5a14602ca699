// awaitPaymentResult's per-call options: the same three laws as the plugin's options.
import t from 'tap'
import { awaitOptionsReader } from '../../src/polling/await-options.js'

const read = awaitOptionsReader(90_000)

t.test('absent or undefined: the polling window', async (t) => {
  t.same(read(undefined), { signal: undefined, timeoutMs: 90_000 })
  t.same(read({}), { signal: undefined, timeoutMs: 90_000 })
  t.same(read({ timeoutMs: undefined, signal: undefined }), { signal: undefined, timeoutMs: 90_000 })
})

t.test('given values are kept', async (t) => {
  const { signal } = new AbortController()
  t.same(read({ timeoutMs: 1_500.5, signal }), { signal, timeoutMs: 1_500.5 })
  t.equal(read({ timeoutMs: 2 ** 31 - 1 }).timeoutMs, 2 ** 31 - 1, 'the longest timer delay')
})

t.test('a misspelt key is an error naming the option meant', async (t) => {
  t.throws(() => read({ timeout: 5_000 } as never), { code: 'FST_ALIPAYPLUS_INVALID_OPTION', message: /"timeout" is unknown: did you mean "timeoutMs"\?/ })
  t.throws(() => read({ deadline: 5_000 } as never), { message: /the options of awaitPaymentResult: signal, timeoutMs/ })
})

t.test('bad values are refused, by type only', async (t) => {
  for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '5000']) {
    t.throws(() => read({ timeoutMs } as never), { message: /option "timeoutMs" must be a positive number/ }, String(timeoutMs))
  }
  t.throws(() => read({ timeoutMs: 2 ** 31 }), { message: /option "timeoutMs" must be at most 2147483647 ms/ })
  t.throws(() => read({ signal: 'abort' } as never), { message: /option "signal" must be an AbortSignal, got a string/ })
  t.throws(() => read('fast' as never), { message: /option "options" must be an object, got a string/ })
})
