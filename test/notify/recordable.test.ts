// Every message Alipay+ can legitimately sign is recorded and acknowledged, on every database:
// NUL and lone surrogates (as JSON escapes) in any field, an impossible paymentTime, explicit
// nulls for optional fields, long descriptive fields. Before, these made the write fail (503
// for ever) or were refused (400 for ever), so Alipay+ would have redelivered them for ever.
import t from 'tap'
import { forEachBackend } from '../helpers/databases.js'
import { alipayKeys, merchantKeys } from '../helpers/world.js'
import { buildMerchantApp } from '../helpers/merchant-app.js'
import { notifyBody, signedNotify } from '../helpers/notify-request.js'

const ACK = '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}'

const MESSAGES: Array<[string, (orderNo: string) => Record<string, unknown>]> = [
  ['NUL in a known field', (no) => notifyBody(no, { paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'a\u0000b' } })],
  ['NUL in an unknown field', (no) => notifyBody(no, { extra: 'x\u0000y' })],
  ['a lone surrogate', (no) => notifyBody(no, { walletBrandName: 'W\ud800', paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: '\udfff' } })],
  ['paymentTime 0000-01-01T00:00:00Z', (no) => notifyBody(no, { paymentTime: '0000-01-01T00:00:00Z' })],
  ['explicit nulls for optional fields', (no) => notifyBody(no, { pspId: null, customerId: null, walletBrandName: null, paymentTime: null, paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: null } })],
  ['a resultMessage of 1,000 characters', (no) => notifyBody(no, { paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'm'.repeat(1_000) } })],
  ['a FAIL with null paymentId and paymentAmount', (no) => notifyBody(no, { paymentResult: { resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' }, paymentId: null, paymentAmount: null })],
]

await forEachBackend(t, async (t, backend) => {
  const { prisma } = await backend.open(t)
  const { app } = await buildMerchantApp(t, { prisma, merchant: merchantKeys, alipay: alipayKeys })
  const store = app.alipayplus.store

  for (const [index, [name, body]] of MESSAGES.entries()) {
    t.test(name, async (t) => {
      const orderNo = `odd-${index}`
      await store.createOrder({ orderNo, amount: { currency: 'USD', value: '100' } })
      const request = await signedNotify(alipayKeys.privateKey, body(orderNo))
      const answer = await app.inject(request)
      t.same([answer.statusCode, answer.body], [200, ACK], 'acknowledged')
      const order = await store.getOrder(orderNo)
      t.not(order?.status, 'init', 'recorded')
      const events = await store.listEvents(orderNo)
      t.same(events.map((e) => [e.applied, e.payload]), [[true, request.payload]], 'the exact message is kept')
    })
  }

  t.test('a SUCCESS with a null paymentAmount is refused (400), nothing written', async (t) => {
    await store.createOrder({ orderNo: 'odd-null-amount', amount: { currency: 'USD', value: '100' } })
    const answer = await app.inject(await signedNotify(alipayKeys.privateKey, notifyBody('odd-null-amount', { paymentAmount: null })))
    t.equal(answer.statusCode, 400)
    t.same(await store.listEvents('odd-null-amount'), [])
  })
})
