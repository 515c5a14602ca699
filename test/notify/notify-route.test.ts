// notifyPayment over HTTP (fastify.inject), with real keys, on each of the four databases:
// every documented answer, and that nothing is written for input that must not write.
import { PrismaPg } from '@prisma/adapter-pg'
import t, { type Test } from 'tap'
import { PrismaClient } from '../../generated/prisma/client.js'
import type { AttentionAlert } from '../../src/index.js'
import { OrderStore } from '../../src/store/order-store.js'
import { verifyMessage } from '../../src/protocol/signature.js'
import { forEachBackend, freshPostgres, needsServer } from '../helpers/databases.js'
import { rsaKeyPair } from '../helpers/keys.js'
import { buildMerchantApp, CLIENT_ID } from '../helpers/merchant-app.js'
import { NOTIFY_PATH, notifyBody, signedNotify } from '../helpers/notify-request.js'
import { until } from '../helpers/world.js'

const merchant = rsaKeyPair()
const alipay = rsaKeyPair()
const stranger = rsaKeyPair()
const ACK = '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}'

async function assertSignedByMerchant(t: Test, response: { headers: Record<string, unknown>; body: string }) {
  const verified = await verifyMessage({
    path: NOTIFY_PATH,
    headers: response.headers as Record<string, string>,
    body: response.body,
    publicKeys: [merchant.publicKey],
    timeHeader: 'Response-Time',
  })
  t.equal(verified.ok, true, 'answer signed with the merchant key over the notify path')
  t.equal(response.headers['client-id'], CLIENT_ID)
}

await forEachBackend(t, async (t, backend) => {
  const { prisma } = await backend.open(t)
  const store = OrderStore.fromClient(prisma)
  const alerts: AttentionAlert[] = []
  const { app, logs } = await buildMerchantApp(t, { prisma, merchant, alipay, onAttention: (alert) => void alerts.push(alert) })
  const alertsFor = (orderNo: string) => alerts.filter((alert) => alert.orderNo === orderNo)
  const create = (orderNo: string) => store.createOrder({ orderNo, amount: { currency: 'USD', value: '100' } })
  const nothingWritten = async (t: Test, orderNo: string) => {
    t.equal((await store.getOrder(orderNo))?.status, 'init', 'order still init')
    t.equal((await store.listEvents(orderNo)).length, 0, 'no event written')
  }

  t.test('a signed success is recorded once and acknowledged with a signed S', async (t) => {
    await create('ok-1')
    const request = await signedNotify(alipay.privateKey, notifyBody('ok-1'))
    const response = await app.inject(request)
    t.equal(response.statusCode, 200)
    t.equal(response.body, ACK)
    t.match(response.headers['content-type'], /^application\/json/)
    await assertSignedByMerchant(t, response)
    const order = await store.getOrder('ok-1')
    t.equal(order?.status, 'SUCCESS')
    t.equal(order?.resultSource, 'notify')
    t.equal(order?.paymentId, notifyBody('ok-1').paymentId)
    t.equal(order?.paymentTime?.toISOString(), '2026-11-26T02:00:00.000Z')

    // Alipay+ delivers duplicates: acknowledged again, counted on the first event, no second transition.
    const again = await app.inject(request)
    t.equal(again.statusCode, 200)
    t.equal(again.body, ACK)
    const events = await store.listEvents('ok-1')
    t.same(events.map((e) => [e.source, e.applied, e.reason, e.deliveries]), [['notify', true, null, 2]])
    t.equal(events[0]?.payload, request.payload, 'the event keeps the signed bytes as received')
  })

  t.test('a signed failure is recorded as FAIL', async (t) => {
    await create('fail-1')
    const body = notifyBody('fail-1', {
      paymentResult: { resultCode: 'USER_BALANCE_NOT_ENOUGH', resultStatus: 'F', resultMessage: 'balance' },
      paymentAmount: undefined,
      paymentId: undefined,
    })
    const response = await app.inject(await signedNotify(alipay.privateKey, body))
    t.equal(response.statusCode, 200)
    t.equal(response.body, ACK)
    const order = await store.getOrder('fail-1')
    t.equal(order?.status, 'FAIL')
    t.equal(order?.resultCode, 'USER_BALANCE_NOT_ENOUGH')
  })

  t.test('a signed failure is recorded whatever its unused fields hold', async (t) => {
    // A failure uses none of the payment's details: a malformed one must not make it a 400,
    // which Alipay+ would deliver again for ever. It stays in the event's payload.
    const cases: Array<[string, Record<string, unknown>]> = [
      ['malformed paymentAmount', { paymentAmount: { currency: 'usd', value: '1.00' } }],
      ['paymentAmount not an object', { paymentAmount: 'USD 1.00' }],
      ['paymentId over 64 characters', { paymentId: 'P'.repeat(200) }],
      ['paymentId not a string', { paymentId: 12345 }],
      ['paymentTime not a string', { paymentTime: 1764122400000 }],
      ['descriptive fields not strings', { pspId: 7, customerId: {}, walletBrandName: [] }],
    ]
    for (const [i, [name, fields]] of cases.entries()) {
      const orderNo = `fail-unused-${i}`
      await create(orderNo)
      const body = { ...notifyBody(orderNo, { paymentResult: { resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' } }), ...fields }
      const request = await signedNotify(alipay.privateKey, body)
      const response = await app.inject(request)
      t.equal(response.statusCode, 200, `${name}: acknowledged`)
      t.equal(response.body, ACK, name)
      t.match(await store.getOrder(orderNo), { status: 'FAIL', resultCode: 'ORDER_IS_CLOSED', resultSource: 'notify' }, `${name}: recorded`)
      t.same((await store.listEvents(orderNo)).map((e) => e.payload), [request.payload], `${name}: the event keeps the message as received`)
    }
    t.equal((await store.getOrder('fail-unused-2'))?.paymentId, null, 'an over-long paymentId stays out of the column')
  })

  t.test('a later notify never overwrites an earlier final result', async (t) => {
    await create('first-wins')
    await store.recordResult({ orderNo: 'first-wins', source: 'inquiry', status: 'FAIL', resultCode: 'ORDER_IS_CLOSED', payload: {} })
    const response = await app.inject(await signedNotify(alipay.privateKey, notifyBody('first-wins')))
    t.equal(response.body, ACK, 'already final: acknowledged')
    t.equal((await store.getOrder('first-wins'))?.status, 'FAIL')
    const events = await store.listEvents('first-wins')
    await until(() => alertsFor('first-wins').length === 1)
    t.same(alertsFor('first-wins'), [
      {
        kind: 'conflicting_result',
        orderNo: 'first-wins',
        source: 'notify',
        attention: null,
        message: 'alipayplus notifyPayment conflicts with the recorded final result: kept the first, event recorded; needs a human',
        recorded: { status: 'FAIL', source: 'inquiry', resultCode: 'ORDER_IS_CLOSED' },
        received: { status: 'SUCCESS', resultCode: 'SUCCESS' },
        eventId: events[1]?.id,
      },
    ], 'onAttention hears of the conflict, with both results')
    // The same result again is no conflict.
    await app.inject(await signedNotify(alipay.privateKey, notifyBody('first-wins', { paymentResult: { resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' } })))
    t.equal(alertsFor('first-wins').length, 1)
  })

  t.test('missing or wrong signature: 401, nothing written', async (t) => {
    await create('sig-1')
    const good = await signedNotify(alipay.privateKey, notifyBody('sig-1'))
    const cases: Array<[string, Record<string, string>, string]> = [
      ['no Signature header', { ...good.headers, signature: '' }, good.payload],
      ['signed by another key', (await signedNotify(stranger.privateKey, notifyBody('sig-1'))).headers, good.payload],
      ['body changed after signing', good.headers, good.payload.replace('"100"', '"1"')],
      ['no Client-Id', { ...good.headers, 'client-id': '' }, good.payload],
      ['other Client-Id than signed', { ...good.headers, 'client-id': 'SOMEONE_ELSE' }, good.payload],
      ['no Request-Time', { ...good.headers, 'request-time': '' }, good.payload],
      ['garbage signature', { ...good.headers, signature: 'algorithm=RSA256,keyVersion=1,signature=%%%notbase64' }, good.payload],
    ]
    for (const [name, headers, payload] of cases) {
      const response = await app.inject({ method: 'POST', url: NOTIFY_PATH, headers, payload })
      t.equal(response.statusCode, 401, name)
      t.equal(response.json().result.resultStatus, 'F', `${name}: not S`)
      t.equal(response.json().result.resultCode, 'INVALID_SIGNATURE', name)
    }
    // Signed over another path (a replay against another endpoint) does not verify here.
    const otherPath = await signedNotify(alipay.privateKey, notifyBody('sig-1'), { path: '/other' })
    const replay = await app.inject({ ...otherPath, url: NOTIFY_PATH })
    t.equal(replay.statusCode, 401, 'signature over another path')
    await nothingWritten(t, 'sig-1')
  })

  t.test('malformed or ill-typed bodies: 400, nothing written', async (t) => {
    await create('bad-1')
    const cases: Array<[string, string | Record<string, unknown>, string?]> = [
      ['malformed JSON', '{"paymentResult": {', undefined],
      ['empty body', '', undefined],
      ['JSON array', '[]', undefined],
      ['missing paymentResult', notifyBody('bad-1', { paymentResult: undefined })],
      ['missing paymentRequestId', notifyBody('bad-1', { paymentRequestId: undefined })],
      ['missing acquirerId', notifyBody('bad-1', { acquirerId: undefined })],
      ['numeric paymentRequestId', { ...notifyBody('bad-1'), paymentRequestId: 12345 }],
      ['resultStatus U', notifyBody('bad-1', { paymentResult: { resultCode: 'PAYMENT_IN_PROCESS', resultStatus: 'U' } })],
      ['success without paymentAmount', notifyBody('bad-1', { paymentAmount: undefined })],
      ['decimal amount', notifyBody('bad-1', { paymentAmount: { currency: 'USD', value: '1.00' } })],
      ['numeric amount', notifyBody('bad-1', { paymentAmount: { currency: 'USD', value: 100 } })],
      ['lower-case currency', notifyBody('bad-1', { paymentAmount: { currency: 'usd', value: '100' } })],
      ['paymentRequestId over 64', notifyBody('x'.repeat(65))],
    ]
    for (const [name, body] of cases) {
      const response = await app.inject(await signedNotify(alipay.privateKey, body))
      t.equal(response.statusCode, 400, name)
      t.equal(response.json().result.resultCode, 'PARAM_ILLEGAL', name)
    }
    // Signed bytes that are not JSON stay a 400 whatever the Content-Type claims.
    const notJson = await signedNotify(alipay.privateKey, 'paymentRequestId=bad-1')
    const response = await app.inject({ ...notJson, headers: { ...notJson.headers, 'content-type': 'text/plain' } })
    t.equal(response.statusCode, 400, 'signed non-JSON bytes')
    t.match(response.json().result, { resultCode: 'PARAM_ILLEGAL', resultStatus: 'F', resultMessage: /not valid JSON/ })
    await nothingWritten(t, 'bad-1')
  })

  t.test('a paymentRequestId that is no valid orderNo: 400 PARAM_ILLEGAL, nothing written', async (t) => {
    const cases: Array<[string, string]> = [
      ['NUL', 'bad\u0000id'],
      ['C1 control', 'bad\u0085id'],
      ['DEL', 'bad\u007Fid'],
      ['lone surrogate', 'bad-\uD800'],
      ['leading space', ' bad-id'],
      ['trailing space', 'bad-id '],
      // 40 code points (what JSON-schema maxLength counts) but 80 UTF-16 units: over 64 for the store.
      ['over 64 UTF-16 units', '😀'.repeat(40)],
    ]
    // Counted over the whole table: PostgreSQL cannot even be asked about an id with a NUL in it.
    const before = await prisma.paymentEvent.count()
    for (const [name, orderNo] of cases) {
      const response = await app.inject(await signedNotify(alipay.privateKey, notifyBody(orderNo)))
      t.equal(response.statusCode, 400, name)
      t.match(response.json().result, { resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' }, name)
      t.equal(response.headers.signature, undefined, `${name}: unsigned, like every 400`)
    }
    t.equal(await prisma.paymentEvent.count(), before, 'no event written')
  })

  t.test('a body over the limit: 413, nothing written', async (t) => {
    await create('big-1')
    const body = notifyBody('big-1', { padding: 'x'.repeat(70_000) })
    const response = await app.inject(await signedNotify(alipay.privateKey, body))
    t.equal(response.statusCode, 413)
    t.equal(response.json().result.resultStatus, 'F')
    await nothingWritten(t, 'big-1')
  })

  t.test('an unknown order: signed non-S answer so that Alipay+ delivers again', async (t) => {
    const response = await app.inject(await signedNotify(alipay.privateKey, notifyBody('not-yet-created')))
    t.equal(response.statusCode, 404)
    t.not(response.json().result.resultStatus, 'S')
    await assertSignedByMerchant(t, response)
    t.equal(await prisma.paymentEvent.count({ where: { orderNo: 'not-yet-created' } }), 0)
    // Redelivered once the order exists: recorded.
    await create('not-yet-created')
    const later = await app.inject(await signedNotify(alipay.privateKey, notifyBody('not-yet-created')))
    t.equal(later.body, ACK)
    t.equal((await store.getOrder('not-yet-created'))?.status, 'SUCCESS')
  })

  t.test('an amount mismatch: acknowledged, order stays init, event recorded, error logged', async (t) => {
    await create('amt-1')
    const before = logs.length
    const response = await app.inject(
      await signedNotify(alipay.privateKey, notifyBody('amt-1', { paymentAmount: { currency: 'USD', value: '10000' } })),
    )
    t.equal(response.body, ACK)
    await assertSignedByMerchant(t, response)
    t.equal((await store.getOrder('amt-1'))?.status, 'init')
    t.same((await store.listEvents('amt-1')).map((e) => [e.applied, e.reason]), [[false, 'amount_mismatch']])
    const logged = logs.slice(before).map((line) => JSON.parse(line) as { level: number; msg: string; orderNo?: string })
    t.ok(logged.some((l) => l.level >= 50 && l.orderNo === 'amt-1' && /amount mismatch/.test(l.msg)), 'an error names the order')
    await until(() => alertsFor('amt-1').length === 1)
    t.match(alertsFor('amt-1')[0], {
      kind: 'amount_mismatch',
      orderNo: 'amt-1',
      source: 'notify',
      // Not flagged from a notification: an inquiry may still bring the right amount.
      attention: null,
      expected: { currency: 'USD', value: '100' },
      received: { currency: 'USD', value: '10000' },
    })
    t.equal((await store.getOrder('amt-1'))?.attention, null)
  })

  t.test('logs never hold the private key or a signature', async (t) => {
    const text = logs.join('\n')
    t.ok(logs.length > 0)
    for (const secret of [merchant.privateBase64.slice(100, 160), alipay.privateBase64.slice(100, 160)]) {
      t.notOk(text.includes(secret), 'no private key material')
    }
    t.notOk(/signature=[A-Za-z0-9%]{40,}/.test(text), 'no raw signature value')
  })
})

t.test('keys given as bare Base64 (the official SDKs format) work like PEM', await needsServer('postgresql'), async (t) => {
  const { prisma } = await freshPostgres(t)
  const store = OrderStore.fromClient(prisma)
  const { app } = await buildMerchantApp(t, {
    prisma,
    merchant,
    alipay,
    privateKey: merchant.privateBase64,
    alipayPublicKey: [stranger.publicBase64, alipay.publicBase64],
  })
  await store.createOrder({ orderNo: 'b64-1', amount: { currency: 'USD', value: '100' } })
  const response = await app.inject(await signedNotify(alipay.privateKey, notifyBody('b64-1')))
  t.equal(response.body, ACK, 'second key of the rotation list verifies')
  await assertSignedByMerchant(t, response)
  t.equal((await store.getOrder('b64-1'))?.status, 'SUCCESS')
})

t.test('onAttention never delays the answer: a throwing, rejecting or hanging hook is logged, not awaited', await needsServer('postgresql'), async (t) => {
  const { prisma } = await freshPostgres(t)
  const store = OrderStore.fromClient(prisma)
  const calls: string[] = []
  const hooks: Record<string, (alert: AttentionAlert) => void | Promise<void>> = {
    'hook-throws': () => {
      throw new Error('the pager is down')
    },
    'hook-rejects': async () => {
      throw new Error('the pager rejected')
    },
    'hook-hangs': () => new Promise<void>(() => {}),
  }
  const { app, logs } = await buildMerchantApp(t, {
    prisma,
    merchant,
    alipay,
    onAttention: (alert) => {
      calls.push(alert.orderNo)
      return hooks[alert.orderNo]!(alert)
    },
  })
  for (const orderNo of Object.keys(hooks)) {
    await store.createOrder({ orderNo, amount: { currency: 'USD', value: '100' } })
    const mismatch = notifyBody(orderNo, { paymentAmount: { currency: 'USD', value: '1' } })
    const response = await app.inject(await signedNotify(alipay.privateKey, mismatch))
    t.equal(response.statusCode, 200, `${orderNo}: answered`)
    t.equal(response.body, ACK)
  }
  await until(() => calls.length === 3)
  const failures = () =>
    logs.map((line) => JSON.parse(line) as { level: number; msg: string; orderNo?: string; err?: { message?: string } })
      .filter((l) => l.level >= 50 && /onAttention hook failed/.test(l.msg))
  await until(() => failures().length === 2)
  t.same(
    failures().map((l) => [l.orderNo, l.err?.message]).sort(),
    [
      ['hook-rejects', 'the pager rejected'],
      ['hook-throws', 'the pager is down'],
    ],
  )
})

t.test('database unavailable: signed non-S answer, never an acknowledgement', async (t) => {
  // A real client against a port where nothing listens: every query fails to connect.
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: 'postgresql://postgres@127.0.0.1:1/none' }) })
  t.teardown(() => prisma.$disconnect())
  const { app } = await buildMerchantApp(t, { prisma, merchant, alipay })
  const response = await app.inject(await signedNotify(alipay.privateKey, notifyBody('down-1')))
  t.equal(response.statusCode, 503)
  t.equal(response.json().result.resultStatus, 'U')
  await assertSignedByMerchant(t, response)
})
