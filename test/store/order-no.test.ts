// assertOrderNo (store, poller, notify route) and the notify schema's pattern refuse the same ids.
import { Ajv } from 'ajv'
import t from 'tap'
import { InvalidOrderNoError } from '../../src/errors.js'
import { assertOrderNo, ORDER_NO_PATTERN } from '../../src/store/order-no.js'

const VALID = ['ORDER-2026-0001', 'a', 'x'.repeat(64), 'order 42', 'Bestellung-ü-ß', 'emoji-😀', '订单-1']

const INVALID: Array<[string, unknown]> = [
  ['empty', ''],
  ['over 64', 'x'.repeat(65)],
  ['not a string', 42],
  ['NUL', 'order\u0000-1'],
  ['tab (C0)', 'order\t1'],
  ['newline (C0)', 'order\n1'],
  ['unit separator (C0)', 'order\u001F1'],
  ['DEL', 'order\u007F1'],
  ['NEL (C1)', 'order\u00851'],
  ['CSI (C1)', 'order\u009B1'],
  ['lone high surrogate', 'order-\uD83D'],
  ['lone low surrogate', '\uDE00-order'],
  ['reversed surrogate pair', 'order-\uDE00\uD83D'],
  ['leading space', ' order-1'],
  ['trailing space', 'order-1 '],
  ['trailing no-break space', 'order-1\u00A0'],
  ['leading byte-order mark', '\uFEFForder-1'],
  ['trailing ideographic space', 'order-1\u3000'],
]

t.test('valid orderNos pass', async (t) => {
  for (const orderNo of VALID) t.doesNotThrow(() => assertOrderNo(orderNo), JSON.stringify(orderNo))
})

t.test('invalid orderNos: FST_ALIPAYPLUS_INVALID_ORDER_NO with an escaped, bounded quote', async (t) => {
  for (const [name, orderNo] of INVALID) {
    try {
      assertOrderNo(orderNo)
      t.fail(`${name}: accepted`)
    } catch (error) {
      t.ok(error instanceof InvalidOrderNoError, name)
      const { code, message } = error as Error & { code: string }
      t.equal(code, 'FST_ALIPAYPLUS_INVALID_ORDER_NO', name)
      t.notOk(/[\u0000-\u001F\u007F-\u009F\u00A0\uFEFF\u3000]/.test(message), `${name}: no raw control or space character in the message`)
      t.ok(message.length < 300, `${name}: bounded`)
    }
  }
  t.throws(() => assertOrderNo('\u0000'.repeat(10_000)), { message: /\.\.\.$/ }, 'a long value is cut in the message')
})

t.test('the JSON-schema pattern (as Ajv compiles it) agrees with assertOrderNo', async (t) => {
  const validate = new Ajv().compile({ type: 'string', minLength: 1, maxLength: 64, pattern: ORDER_NO_PATTERN })
  for (const orderNo of VALID) t.equal(validate(orderNo), true, JSON.stringify(orderNo))
  for (const [name, orderNo] of INVALID) t.equal(validate(orderNo), false, name)
})
