// The simulator's inquiry endpoint seen by hand-built requests, its /_sim control API, its
// options, concurrency accounting and seeded faults.
import t from 'tap'
import { InvalidOptionError } from '../../src/errors.js'
import { InquiryClient } from '../../src/protocol/inquiry-client.js'
import { nowRequestTime, signMessage, verifyMessage } from '../../src/protocol/signature.js'
import { createSimulator, type SimulatorOptions } from '../../src/simulator/index.js'
import { rsaKeyPair } from '../helpers/keys.js'

const merchant = rsaKeyPair()
const alipay = rsaKeyPair()
const CLIENT_ID = 'CLIENT_SIM_TEST'
const PATH = '/aps/api/v1/payments/inquiryPayment'
const amount = { currency: 'EUR', value: '999' }

async function start(t: { teardown(fn: () => unknown): void }, options: Partial<SimulatorOptions> = {}) {
  const sim = createSimulator({ clientId: CLIENT_ID, merchantPublicKey: merchant.publicKey, alipayPrivateKey: alipay.privateKey, ...options })
  t.teardown(() => sim.close())
  return { sim, base: await sim.listen() }
}

/** A raw inquiry: returns status, parsed body, and whether the answer's signature verifies. */
async function inquire(base: string, body: string, sign = true, clientId = CLIENT_ID) {
  const headers = sign
    ? await signMessage({ path: PATH, clientId, time: nowRequestTime(), body, privateKey: merchant.privateKey, keyVersion: '1', timeHeader: 'Request-Time' })
    : { 'content-type': 'application/json', 'client-id': CLIENT_ID, 'request-time': nowRequestTime() }
  const response = await fetch(`${base}${PATH}`, { method: 'POST', headers, body })
  const raw = Buffer.from(await response.arrayBuffer())
  const verified = await verifyMessage({ path: PATH, headers: response.headers, body: raw, publicKeys: [alipay.publicKey], timeHeader: 'Response-Time' })
  return { status: response.status, body: JSON.parse(raw.toString('utf8')), verified }
}

t.test('inquiry answers are signed with Response-Time over the exact body', async (t) => {
  const { sim, base } = await start(t)
  sim.createPayment({ paymentRequestId: 'i-1', amount })
  const answer = await inquire(base, '{"paymentRequestId":"i-1"}')
  t.equal(answer.status, 200)
  t.match(answer.verified, { ok: true, clientId: CLIENT_ID })
  t.match(answer.body, {
    result: { resultCode: 'SUCCESS', resultStatus: 'S' },
    paymentResult: { resultCode: 'PAYMENT_IN_PROCESS', resultStatus: 'U' },
    paymentRequestId: 'i-1',
    paymentAmount: amount,
  })
})

t.test('unsigned request: HTTP 200, result F INVALID_SIGNATURE', async (t) => {
  const { base } = await start(t)
  const answer = await inquire(base, '{"paymentRequestId":"i-2"}', false)
  t.equal(answer.status, 200)
  t.same(answer.body.result.resultCode, 'INVALID_SIGNATURE')
  t.equal(answer.body.result.resultStatus, 'F')
  t.ok(answer.verified.ok)
})

t.test('missing paymentRequestId: PARAM_ILLEGAL', async (t) => {
  const { base } = await start(t)
  for (const body of ['', '{}', '{"paymentRequestId":""}', 'not json']) {
    const answer = await inquire(base, body)
    t.match(answer.body, { result: { resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' } }, body)
  }
})

t.test('a payment can be looked up by paymentId too', async (t) => {
  const { sim, base } = await start(t)
  sim.createPayment({ paymentRequestId: 'i-3', amount })
  const paid = sim.completePayment('i-3', { status: 'SUCCESS', notify: false })
  const answer = await inquire(base, JSON.stringify({ paymentId: paid.paymentId }))
  t.match(answer.body, { paymentResult: { resultStatus: 'S' }, paymentRequestId: 'i-3', paymentId: paid.paymentId })
  t.equal(sim.stats().inquiries.byPayment['i-3'], 1)
})

t.test('the /_sim control API drives payments, faults and stats over HTTP', async (t) => {
  const { sim, base } = await start(t)
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}/_sim${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : undefined }
  }
  t.match(await call('POST', '/payments', { paymentRequestId: 'h-1', amount }), { status: 201, body: { paymentRequestId: 'h-1', status: 'PROCESSING' } })
  t.match(await call('POST', '/payments', { paymentRequestId: 'h-1', amount }), { status: 409, body: { code: 'FST_ALIPAYPLUS_SIM_DUPLICATE_PAYMENT' } })
  t.match(await call('POST', '/payments', { paymentRequestId: 'h-2', amount: { currency: 'EUR', value: '9.99' } }), { status: 400 })
  t.match(await call('GET', '/payments/nope'), { status: 404 })
  t.match(await call('POST', '/payments/h-1/complete', { status: 'MAYBE' }), { status: 400 })
  t.match(await call('POST', '/payments/h-1/complete', { status: 'SUCCESS', notify: false }), { status: 200, body: { status: 'SUCCESS' } })
  t.match(await call('POST', '/payments/h-1/complete', { status: 'FAIL', notify: false }), { status: 409 })
  t.match(await call('GET', '/payments/h-1'), { status: 200, body: { status: 'SUCCESS', paymentId: sim.getPayment('h-1')!.paymentId } })

  t.match(await call('PUT', '/faults', { inquiryUnknownRate: 2 }), { status: 400 })
  t.match(await call('PUT', '/faults', { noSuchFault: 1 }), { status: 400 })
  t.match(await call('PUT', '/faults', { inquiryUnknownRate: 1 }), { status: 200, body: { inquiryUnknownRate: 1, inquiry5xxRate: 0 } })
  t.match((await inquire(base, '{"paymentRequestId":"h-1"}')).body, { result: { resultCode: 'UNKNOWN_EXCEPTION', resultStatus: 'U' } })
  t.match(await call('PUT', '/payments/h-1/faults', { inquiryUnknownRate: 0 }), { status: 200 })
  t.match((await inquire(base, '{"paymentRequestId":"h-1"}')).body, { paymentResult: { resultStatus: 'S' } }, 'per-payment override wins')

  t.match(await call('PUT', '/notify-url', { notifyUrl: 'not a url' }), { status: 400, body: { code: 'FST_ALIPAYPLUS_SIM_INVALID_INPUT' } })
  t.match(await call('PUT', '/notify-url', { notifyUrl: 'http://127.0.0.1:1/notify' }), { status: 204 })
  t.match(await call('GET', '/stats'), {
    status: 200,
    body: { inquiries: { received: 2, byPayment: { 'h-1': 2 }, answered: { unknown_exception: 1, success: 1 } }, notifications: { scheduled: 0 } },
  })
})

t.test('stats record the highest number of concurrent inquiries', async (t) => {
  const { sim, base } = await start(t, { faults: { inquirySlowMs: 600_000 } })
  const client = new InquiryClient({
    gatewayUrl: base,
    clientId: CLIENT_ID,
    privateKey: merchant.privateKey,
    alipayPublicKeys: [alipay.publicKey],
    keyVersion: '1',
    requestTimeoutMs: 600_000,
  })
  const calls = Array.from({ length: 5 }, (_, i) => client.inquire(`c-${i}`).catch((error: unknown) => error))
  while (sim.stats().inquiries.inFlight < 5) await new Promise((resolve) => setTimeout(resolve, 5))
  t.match(sim.stats().inquiries, { received: 5, inFlight: 5, maxConcurrent: 5 })
  client.close()
  await Promise.all(calls)
})

t.test('the same seed replays the same fault decisions', async (t) => {
  const run = async (seed: number) => {
    const { sim, base } = await start(t, { seed, faults: { inquiryUnknownRate: 0.5 } })
    sim.createPayment({ paymentRequestId: 'd-1', amount })
    const kinds: string[] = []
    for (let i = 0; i < 24; i++) kinds.push((await inquire(base, '{"paymentRequestId":"d-1"}')).body.result.resultCode)
    return kinds
  }
  const first = await run(7)
  t.same(await run(7), first)
  t.ok(first.includes('UNKNOWN_EXCEPTION') && first.includes('SUCCESS'), 'a rate of 0.5 gives both answers')
  t.notSame(await run(8), first, 'another seed, other decisions')
})

t.test('callerClientIds: inquiries from each listed Client-Id are answered and logged with it', async (t) => {
  const { sim, base } = await start(t, { callerClientIds: ['CALLER_A', 'CALLER_B'] })
  sim.createPayment({ paymentRequestId: 'i-4', amount })
  const a = await inquire(base, '{"paymentRequestId":"i-4"}', true, 'CALLER_A')
  const b = await inquire(base, '{"paymentRequestId":"i-4"}', true, 'CALLER_B')
  const other = await inquire(base, '{"paymentRequestId":"i-4"}', true, CLIENT_ID)
  t.match([a.body.paymentResult, b.body.paymentResult], [{ resultStatus: 'U' }, { resultStatus: 'U' }], 'both answered')
  t.match(a.verified, { ok: true, clientId: 'CALLER_A' }, 'the answer carries the Client-Id it was called with')
  t.match(other.body.result, { resultCode: 'INVALID_CLIENT', resultStatus: 'F' }, 'clientId itself is not listed: refused')
  const arrivals = sim.inquiryArrivals()
  t.same(arrivals.map((arrival) => arrival.clientId), ['CALLER_A', 'CALLER_B', CLIENT_ID])
  t.ok(arrivals.every((arrival) => arrival.answeredAt !== undefined && arrival.answeredAt >= arrival.at), 'each with its answer time')
})

t.test('options are checked up front, without quoting keys', async (t) => {
  const base = { clientId: CLIENT_ID, merchantPublicKey: merchant.publicKey, alipayPrivateKey: alipay.privateKey }
  t.throws(() => createSimulator({ ...base, merchantPublicKey: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAxyz' }), InvalidOptionError)
  t.throws(() => createSimulator({ ...base, alipayPrivateKey: 'nope' }), { message: /"alipayPrivateKey"/ })
  t.throws(() => createSimulator({ ...base, clientId: '' }), { message: /"clientId"/ })
  t.throws(() => createSimulator({ ...base, callerClientIds: [] }), { message: /"callerClientIds"/ })
  t.throws(() => createSimulator({ ...base, redeliveryScheduleMs: [] }), { message: /"redeliveryScheduleMs"/ })
  t.throws(() => createSimulator({ ...base, redeliveryScheduleMs: [0, -1] }), { message: /"redeliveryScheduleMs"/ })
  t.throws(() => createSimulator({ ...base, notifyUrl: '/relative' }), { message: /"notifyUrl"/ })
  t.throws(() => createSimulator({ ...base, faults: { notifyDropRate: -0.1 } }), { code: 'FST_ALIPAYPLUS_SIM_INVALID_INPUT' })
  t.throws(() => createSimulator({ ...base, faults: { notifyDropRat: 1 } as never }), { message: /unknown fault "notifyDropRat" \(did you mean "notifyDropRate"\?\)/ })
  // The same laws as the plugin's options: unknown names refused with the name meant, undefined the default.
  t.throws(() => createSimulator({ ...base, notifyTimeout: 1_000 } as never), { message: /option "notifyTimeout" is unknown: did you mean "notifyTimeoutMs"\?/ })
  const defaults = createSimulator({ ...base, keyVersion: undefined, notifyTimeoutMs: undefined, seed: undefined, faults: { notifyDropRate: undefined } })
  const plain = createSimulator(base)
  t.teardown(() => Promise.all([defaults.close(), plain.close()]))
  t.same(defaults.faults(), plain.faults(), 'undefined faults are the defaults')
})

t.test('close() is idempotent and ends slow answers', async (t) => {
  const { sim, base } = await start(t, { faults: { inquirySlowMs: 600_000 } })
  const pending = fetch(`${base}${PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then(
    (response) => response.status,
    () => 'connection closed',
  )
  while (sim.stats().inquiries.inFlight < 1) await new Promise((resolve) => setTimeout(resolve, 5))
  await Promise.all([sim.close(), sim.close()])
  t.ok([503, 'connection closed'].includes(await pending))
  t.equal(sim.stats().inquiries.inFlight, 0)
})
