// The notify route's checks around the signature: the path it covers (never the query; the
// public path behind a rewriting proxy), the Content-Type it ignores once the signature holds,
// the Client-Id it accepts and the optional Request-Time window. Real keys, real PostgreSQL.
import t, { type Test } from 'tap'
import type { PrismaClient } from '../../generated/prisma/client.js'
import type { AlipayPlusOptions } from '../../src/index.js'
import { verifyMessage } from '../../src/protocol/signature.js'
import { freshPostgres, needsServer } from '../helpers/databases.js'
import { rsaKeyPair } from '../helpers/keys.js'
import { buildMerchantApp, CLIENT_ID } from '../helpers/merchant-app.js'
import { NOTIFY_PATH, notifyBody, signedNotify } from '../helpers/notify-request.js'

// These run on PostgreSQL: skipped, saying why, where no server can be reached.
const PG = await needsServer('postgresql')

const merchant = rsaKeyPair()
const alipay = rsaKeyPair()
const ACK = '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}'

async function merchantApp(t: Test, overrides: Partial<AlipayPlusOptions> = {}) {
  const { prisma } = await freshPostgres(t)
  const { app, logs } = await buildMerchantApp(t, { prisma, merchant, alipay, ...overrides })
  const store = app.alipayplus.store
  const create = (orderNo: string) => store.createOrder({ orderNo, amount: { currency: 'USD', value: '100' } })
  return { app, logs, store, prisma: prisma as PrismaClient, create }
}

async function signedOver(t: Test, response: { headers: Record<string, unknown>; body: string }, path: string) {
  const verified = await verifyMessage({
    path,
    headers: response.headers as Record<string, string>,
    body: response.body,
    publicKeys: [merchant.publicKey],
    timeHeader: 'Response-Time',
  })
  t.equal(verified.ok, true, `answer signed over ${path}`)
}

t.test('signed path: the path without the query string', PG, async (t) => {
  const { app, store, prisma, create } = await merchantApp(t)
  await create('path-1')
  const signed = await signedNotify(alipay.privateKey, notifyBody('path-1'))
  const response = await app.inject({ ...signed, url: `${NOTIFY_PATH}?source=alipayplus&x=1` })
  t.equal(response.body, ACK, 'a query string on the notify URL is not part of the signed content')
  await signedOver(t, response, NOTIFY_PATH)
  t.equal((await store.getOrder('path-1'))?.status, 'SUCCESS')

  await create('path-2')
  const withQuery = await signedNotify(alipay.privateKey, notifyBody('path-2'), { path: `${NOTIFY_PATH}?source=alipayplus` })
  const refused = await app.inject(withQuery)
  t.equal(refused.statusCode, 401, 'content signed over path and query does not verify')
  t.equal(await prisma.paymentEvent.count({ where: { orderNo: 'path-2' } }), 0)
})

t.test('notifySignedPath: the public path a rewriting proxy hides from us', PG, async (t) => {
  const PUBLIC_PATH = '/shop/api/alipay/notify'
  const { app, store, prisma, create } = await merchantApp(t, { notifySignedPath: PUBLIC_PATH })
  await create('proxy-1')
  // Alipay+ posted to https://shop.example/shop/api/alipay/notify; the proxy forwarded it here.
  const signed = await signedNotify(alipay.privateKey, notifyBody('proxy-1'), { path: PUBLIC_PATH })
  const response = await app.inject({ ...signed, url: NOTIFY_PATH })
  t.equal(response.body, ACK)
  await signedOver(t, response, PUBLIC_PATH)
  t.equal((await store.getOrder('proxy-1'))?.status, 'SUCCESS')

  await create('proxy-2')
  const overLocal = await app.inject(await signedNotify(alipay.privateKey, notifyBody('proxy-2')))
  t.equal(overLocal.statusCode, 401, 'signed over the local path: not what Alipay+ signs')
  t.equal(await prisma.paymentEvent.count({ where: { orderNo: 'proxy-2' } }), 0)
})

t.test('Content-Type: the signed bytes are read as JSON whatever it says', PG, async (t) => {
  const { app, store, create } = await merchantApp(t)
  const cases: Array<[string, string | undefined]> = [
    ['no Content-Type', undefined],
    ['text/plain', 'text/plain'],
    ['charset without a space', 'application/json;charset=UTF-8'],
    ['a JSON media type', 'application/vnd+json'],
    ['a form type', 'application/x-www-form-urlencoded'],
  ]
  let n = 0
  for (const [name, contentType] of cases) {
    const orderNo = `ct-${++n}`
    await create(orderNo)
    const signed = await signedNotify(alipay.privateKey, notifyBody(orderNo))
    const headers: Record<string, string> = { ...signed.headers }
    delete headers['content-type']
    if (contentType !== undefined) headers['content-type'] = contentType
    const response = await app.inject({ ...signed, headers })
    t.equal(response.body, ACK, name)
    t.equal((await store.getOrder(orderNo))?.status, 'SUCCESS', `${name}: recorded`)
  }
  // An unsigned body never gets that far, whatever its type.
  const unsigned = await signedNotify(alipay.privateKey, notifyBody('ct-1'))
  const response = await app.inject({ ...unsigned, headers: { ...unsigned.headers, signature: '', 'content-type': 'text/plain' } })
  t.equal(response.statusCode, 401)
})

t.test('Client-Id: ours by default; refused with an unsigned 401 and a warning otherwise', PG, async (t) => {
  const { app, logs, store, prisma, create } = await merchantApp(t)
  await create('cid-1')
  const before = logs.length
  // Properly signed by Alipay+'s key, but for another Client-Id.
  const response = await app.inject(await signedNotify(alipay.privateKey, notifyBody('cid-1'), { clientId: 'SANDBOX_SOMEONE_ELSE' }))
  t.equal(response.statusCode, 401)
  t.match(response.json().result, { resultCode: 'INVALID_CLIENT', resultStatus: 'F' })
  t.equal(response.headers.signature, undefined, 'unsigned, as for a bad signature')
  t.equal((await store.getOrder('cid-1'))?.status, 'init')
  t.equal(await prisma.paymentEvent.count({ where: { orderNo: 'cid-1' } }), 0)
  const warned = logs.slice(before).map((line) => JSON.parse(line) as { level: number; clientId?: string; msg: string })
  t.ok(warned.some((l) => l.level === 40 && l.clientId === 'SANDBOX_SOMEONE_ELSE' && /Client-Id/.test(l.msg)), 'warning names the Client-Id seen')
  t.notOk(logs.slice(before).join('\n').includes(alipay.privateBase64.slice(100, 160)), 'no key material')
  t.equal((await app.inject(await signedNotify(alipay.privateKey, notifyBody('cid-1')))).body, ACK, 'our own Client-Id passes')
})

t.test('notifyClientIds: a list, or any', PG, async (t) => {
  const listed = await merchantApp(t, { notifyClientIds: ['OTHER_ACQUIRER_ID', CLIENT_ID] })
  await listed.create('list-1')
  await listed.create('list-2')
  t.equal((await listed.app.inject(await signedNotify(alipay.privateKey, notifyBody('list-1'), { clientId: 'OTHER_ACQUIRER_ID' }))).body, ACK)
  t.equal((await listed.app.inject(await signedNotify(alipay.privateKey, notifyBody('list-2'), { clientId: 'NOT_LISTED' }))).statusCode, 401)

  const any = await merchantApp(t, { notifyClientIds: '*' })
  await any.create('any-1')
  t.equal((await any.app.inject(await signedNotify(alipay.privateKey, notifyBody('any-1'), { clientId: 'WHOEVER' }))).body, ACK)
})

t.test('requestTimeToleranceMs: a replay window on Request-Time', PG, async (t) => {
  const { app, logs, store, create } = await merchantApp(t, { requestTimeToleranceMs: 300_000 })
  const cases: Array<[string, string, number]> = [
    ['ISO 8601 now', new Date().toISOString(), 200],
    ['ISO 8601 with an offset, now', isoWithOffset(Date.now()), 200],
    ['epoch milliseconds now', String(Date.now()), 200],
    ['an hour old', new Date(Date.now() - 3_600_000).toISOString(), 401],
    ['an hour ahead', String(Date.now() + 3_600_000), 401],
    ['unreadable', 'yesterday', 401],
    ['no offset', new Date().toISOString().replace('Z', ''), 401],
  ]
  let n = 0
  for (const [name, time, status] of cases) {
    const orderNo = `time-${++n}`
    await create(orderNo)
    const response = await app.inject(await signedNotify(alipay.privateKey, notifyBody(orderNo), { time }))
    t.equal(response.statusCode, status, name)
    t.equal((await store.getOrder(orderNo))?.status, status === 200 ? 'SUCCESS' : 'init', `${name}: ${status === 200 ? 'recorded' : 'nothing recorded'}`)
    if (status === 401) {
      t.equal(response.headers.signature, undefined, `${name}: unsigned`)
      t.match(response.json().result, { resultCode: 'INVALID_SIGNATURE', resultStatus: 'F', resultMessage: /^request_time_/ })
    }
  }
  t.ok(logs.some((line) => /Request-Time/.test(line) && /"requestTime":"yesterday"/.test(line)), 'the time seen is logged')
})

function isoWithOffset(ms: number): string {
  // Tokyo time, as +09:00.
  return new Date(ms + 9 * 3_600_000).toISOString().replace('Z', '+09:00')
}
