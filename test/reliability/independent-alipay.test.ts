// A fake Alipay+ written independently of the project: its signing is plain node:crypto from
// the protocol text (content `POST <path>\n<Client-Id>.<time>.<body>`, RSA-SHA256, Base64, URL
// encoded), its gateway a bare node:http server. Nothing here imports src/protocol or the
// simulator: if the plugin's signing or its reading of the protocol drifted, these would fail.
// It checks the hardening answers: unsigned inquiry answers, a gateway path prefix, the notify
// path without its query, Content-Type, bare PKCS#1 keys, Client-Id, bounded replays,
// recordable messages, orderNo and timer checks.
import { createSign, createVerify, type KeyObject } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { freshPostgres, needsServer } from '../helpers/databases.js'
import { buildMerchantApp, CLIENT_ID } from '../helpers/merchant-app.js'
import { rsaKeyPair } from '../helpers/keys.js'

const INQUIRY = '/aps/api/v1/payments/inquiryPayment'
const NOTIFY = '/alipayplus/notifyPayment'

function sign(path: string, clientId: string, time: string, body: string, key: KeyObject): string {
  const signature = createSign('RSA-SHA256').update(`POST ${path}\n${clientId}.${time}.${body}`).sign(key, 'base64')
  return `algorithm=RSA256,keyVersion=1,signature=${encodeURIComponent(signature)}`
}

function verify(path: string, headers: http.IncomingHttpHeaders, body: string, key: KeyObject): boolean {
  const value = /signature=([^,]+)/.exec(String(headers.signature ?? ''))?.[1]
  if (!value) return false
  const content = `POST ${path}\n${headers['client-id']}.${headers['request-time']}.${body}`
  return createVerify('RSA-SHA256').update(content).verify(key, decodeURIComponent(value), 'base64')
}

type InquiryMode = 'unsigned_success' | 'signed_success_without_client_id'

/** A gateway under a path prefix that, like a proxy, Alipay+ never sees: it verifies over the bare API path. */
async function fakeGateway(t: Test, alipayKey: KeyObject, merchantPublic: KeyObject) {
  let mode: InquiryMode = 'unsigned_success'
  const seen: Array<{ url: string; verified: boolean }> = []
  const server = http.createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
    request.on('end', () => {
      const verified = verify(INQUIRY, request.headers, body, merchantPublic)
      seen.push({ url: request.url ?? '', verified })
      const { paymentRequestId } = JSON.parse(body) as { paymentRequestId: string }
      const answer = JSON.stringify({
        result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
        paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
        paymentRequestId,
        paymentId: 'forged-or-real',
        paymentAmount: { currency: 'USD', value: '100' },
      })
      const time = new Date().toISOString()
      const headers: Record<string, string> = { 'content-type': 'application/json', 'response-time': time }
      if (mode === 'signed_success_without_client_id') headers.signature = sign(INQUIRY, CLIENT_ID, time, answer, alipayKey)
      response.writeHead(200, headers).end(answer)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sandbox`,
    seen,
    answer(next: InquiryMode) {
      mode = next
    },
  }
}

t.test('the plugin against an independently written Alipay+', await needsServer('postgresql'), async (t) => {
  const alipay = rsaKeyPair()
  const merchant = rsaKeyPair()
  // The Python and PHP SDKs' form of the merchant key: bare Base64 PKCS#1.
  const pkcs1 = merchant.privateKey.export({ type: 'pkcs1', format: 'der' }).toString('base64')
  const gateway = await fakeGateway(t, alipay.privateKey, merchant.publicKey)
  const { prisma } = await freshPostgres(t)
  const { app, logs } = await buildMerchantApp(t, {
    prisma,
    merchant,
    alipay,
    privateKey: pkcs1,
    gatewayUrl: gateway.url,
    polling: { minTimeoutMs: 20, maxTimeoutMs: 50, factor: 2, randomize: false, maxRetryTimeMs: 30_000 },
  })
  const store = app.alipayplus.store
  const amount = { currency: 'USD', value: '100' }

  const notify = (url: string, body: string, headers: Record<string, string> = {}) => {
    const time = new Date().toISOString()
    return app.inject({
      method: 'POST',
      url,
      payload: body,
      headers: { 'client-id': CLIENT_ID, 'request-time': time, signature: sign(NOTIFY, CLIENT_ID, time, body, alipay.privateKey), ...headers },
    })
  }
  const body = (orderNo: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
      paymentRequestId: orderNo,
      paymentId: `pay-${orderNo}`,
      acquirerId: '1022188000000000001',
      paymentAmount: amount,
      ...extra,
    })

  t.test('an unsigned inquiry SUCCESS is never a result; the request was signed over the bare API path', async (t) => {
    await store.createOrder({ orderNo: 'ind-unsigned', amount })
    gateway.answer('unsigned_success')
    await t.rejects(app.awaitPaymentResult('ind-unsigned'), { code: 'FST_ALIPAYPLUS_SETUP_ERROR', alipayResultCode: 'INVALID_RESPONSE_SIGNATURE' })
    t.equal((await store.getOrder('ind-unsigned'))?.status, 'init')
    t.same(gateway.seen.at(-1), { url: `/sandbox${INQUIRY}`, verified: true }, 'sent under the prefix, signed without it, with the PKCS#1 key')
  })

  t.test('a signed answer without Client-Id is verified with ours', async (t) => {
    await store.createOrder({ orderNo: 'ind-signed', amount })
    gateway.answer('signed_success_without_client_id')
    const result = await app.awaitPaymentResult('ind-signed')
    t.same([result.status, result.source], ['SUCCESS', 'inquiry'])
  })

  t.test('a notification to a URL with a query, without Content-Type, is recorded', async (t) => {
    await store.createOrder({ orderNo: 'ind-notify', amount })
    const answer = await notify(`${NOTIFY}?tenant=shop-1`, body('ind-notify'), { 'content-type': '' })
    t.equal(answer.statusCode, 200, answer.body)
    t.equal(JSON.parse(answer.body).result.resultStatus, 'S')
    t.equal((await store.getOrder('ind-notify'))?.status, 'SUCCESS')
  })

  t.test('a notification for another Client-Id is refused and logged with the id seen', async (t) => {
    await store.createOrder({ orderNo: 'ind-other', amount })
    const text = body('ind-other')
    const time = new Date().toISOString()
    const answer = await notify(NOTIFY, text, { 'client-id': 'SOMEONE_ELSE', signature: sign(NOTIFY, 'SOMEONE_ELSE', time, text, alipay.privateKey), 'request-time': time })
    t.equal(answer.statusCode, 401)
    t.equal((await store.getOrder('ind-other'))?.status, 'init')
    t.ok(logs.some((line) => line.includes('SOMEONE_ELSE')), 'the refusal names the Client-Id seen')
  })

  t.test('one notification replayed 50 times: one audit row, counted 50 times', async (t) => {
    await store.createOrder({ orderNo: 'ind-replay', amount })
    const text = body('ind-replay')
    const time = new Date().toISOString()
    const headers = { 'request-time': time, signature: sign(NOTIFY, CLIENT_ID, time, text, alipay.privateKey) }
    for (let i = 0; i < 50; i++) t.equal((await notify(NOTIFY, text, headers)).statusCode, 200)
    const events = await store.listEvents('ind-replay')
    t.same(events.map((e) => [e.deliveries, e.applied]), [[50, true]])
  })

  t.test('a message with NUL, a lone surrogate, nulls and an impossible time is recorded', async (t) => {
    await store.createOrder({ orderNo: 'ind-odd', amount })
    const text = body('ind-odd', { walletBrandName: 'a\u0000b\ud800', pspId: null, paymentTime: '0000-01-01T00:00:00Z' })
    const answer = await notify(NOTIFY, text)
    t.equal(answer.statusCode, 200)
    t.equal((await store.listEvents('ind-odd'))[0]?.payload, text)
  })

  t.test('a bad orderNo and a timer beyond 2^31-1 ms are refused', async (t) => {
    await t.rejects(store.createOrder({ orderNo: ' ind-space', amount }), { code: 'FST_ALIPAYPLUS_INVALID_ORDER_NO' })
    await t.rejects(app.awaitPaymentResult('ind-signed', { timeoutMs: 2 ** 31 }), { code: 'FST_ALIPAYPLUS_INVALID_OPTION' })
  })
})
