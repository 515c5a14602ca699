// The inquiry client against the simulator (real HTTP, real keys), one test per outcome.
import { createServer } from 'node:net'
import { fastify } from 'fastify'
import t from 'tap'
import { InquiryClient, type InquiryClientOptions } from '../../src/protocol/inquiry-client.js'
import { InquiryClientClosedError } from '../../src/protocol/errors.js'
import { nowRequestTime, signMessage, verifyMessage } from '../../src/protocol/signature.js'
import { createSimulator, type AlipayPlusSimulator } from '../../src/simulator/index.js'
import { rsaKeyPair } from '../helpers/keys.js'

const merchant = rsaKeyPair()
const alipay = rsaKeyPair()
const stranger = rsaKeyPair()
const CLIENT_ID = 'SANDBOX_5YBZ1H2Z2QYW04585'
const amount = { currency: 'USD', value: '1250' }

let sim: AlipayPlusSimulator
let gatewayUrl: string
const clients: InquiryClient[] = []

function client(overrides: Partial<InquiryClientOptions> = {}): InquiryClient {
  const created = new InquiryClient({
    gatewayUrl,
    clientId: CLIENT_ID,
    privateKey: merchant.privateKey,
    alipayPublicKeys: [alipay.publicKey],
    keyVersion: '1',
    requestTimeoutMs: 5000,
    ...overrides,
  })
  clients.push(created)
  return created
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5))
}

let seq = 0
function newOrderNo(): string {
  seq += 1
  return `order-${seq}`
}

t.before(async () => {
  sim = createSimulator({ clientId: CLIENT_ID, merchantPublicKey: merchant.publicKey, alipayPrivateKey: alipay.privateKey })
  gatewayUrl = await sim.listen()
})
t.afterEach(() => {
  sim.setFaults({ inquiryUnknownRate: 0, inquiryTrafficLimitRate: 0, inquiry5xxRate: 0, inquiryTamperRate: 0, inquirySlowMs: 0, answerOtherClientIdRate: 0 })
})
t.teardown(async () => {
  for (const c of clients) c.close()
  await sim.close()
})

t.test('final SUCCESS carries paymentId, amount and time', async (t) => {
  const orderNo = newOrderNo()
  sim.createPayment({ paymentRequestId: orderNo, amount })
  const paid = sim.completePayment(orderNo, { status: 'SUCCESS', notify: false })
  const outcome = await client().inquire(orderNo)
  t.match(outcome, {
    kind: 'final',
    status: 'SUCCESS',
    resultCode: 'SUCCESS',
    paymentId: paid.paymentId,
    paymentAmount: amount,
    paymentTime: paid.paymentTime,
    response: { paymentRequestId: orderNo, paymentResult: { resultStatus: 'S' } },
  })
  t.ok(paid.paymentId)
  t.equal(sim.stats().inquiries.byPayment[orderNo], 1)
})

t.test('final FAIL carries the failure code', async (t) => {
  const orderNo = newOrderNo()
  sim.createPayment({ paymentRequestId: orderNo, amount })
  sim.completePayment(orderNo, { status: 'FAIL', resultCode: 'USER_BALANCE_NOT_ENOUGH', notify: false })
  t.match(await client().inquire(orderNo), { kind: 'final', status: 'FAIL', resultCode: 'USER_BALANCE_NOT_ENOUGH' })
})

t.test('a payment still processing is in_process', async (t) => {
  const orderNo = newOrderNo()
  sim.createPayment({ paymentRequestId: orderNo, amount })
  t.match(await client().inquire(orderNo), { kind: 'in_process', resultCode: 'PAYMENT_IN_PROCESS' })
})

t.test('a final payment answering in process for its first inquiries', async (t) => {
  const orderNo = newOrderNo()
  sim.createPayment({ paymentRequestId: orderNo, amount, faults: { inquiryInProcessFirstN: 2 } })
  sim.completePayment(orderNo, { status: 'SUCCESS', notify: false })
  const c = client()
  t.equal((await c.inquire(orderNo)).kind, 'in_process')
  t.equal((await c.inquire(orderNo)).kind, 'in_process')
  t.match(await c.inquire(orderNo), { kind: 'final', status: 'SUCCESS' })
})

t.test('result U UNKNOWN_EXCEPTION is a retry', async (t) => {
  sim.setFaults({ inquiryUnknownRate: 1 })
  t.match(await client().inquire(newOrderNo()), { kind: 'retry', reason: 'unknown_exception', resultCode: 'UNKNOWN_EXCEPTION' })
})

t.test('REQUEST_TRAFFIC_EXCEED_LIMIT is a traffic_limit retry', async (t) => {
  sim.setFaults({ inquiryTrafficLimitRate: 1 })
  t.match(await client().inquire(newOrderNo()), { kind: 'retry', reason: 'traffic_limit', resultCode: 'REQUEST_TRAFFIC_EXCEED_LIMIT' })
})

t.test('HTTP 5xx with a non-JSON body is a retry', async (t) => {
  sim.setFaults({ inquiry5xxRate: 1 })
  const outcome = await client().inquire(newOrderNo())
  t.match(outcome, { kind: 'retry', reason: 'http_status' })
  t.ok(outcome.kind === 'retry' && (outcome.httpStatus === 502 || outcome.httpStatus === 503))
})

t.test('no answer within requestTimeoutMs is a timeout retry', async (t) => {
  sim.setFaults({ inquirySlowMs: 30_000 })
  t.match(await client({ requestTimeoutMs: 200 }).inquire(newOrderNo()), { kind: 'retry', reason: 'timeout' })
})

t.test('a closed port is a network retry', async (t) => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  const outcome = await client({ gatewayUrl: `http://127.0.0.1:${port}` }).inquire(newOrderNo())
  t.match(outcome, { kind: 'retry', reason: 'network' })
  t.match(outcome.kind === 'retry' && outcome.message, /ECONNREFUSED/)
})

t.test('ORDER_NOT_EXIST is its own outcome', async (t) => {
  t.match(await client().inquire('never-created'), { kind: 'order_not_exist', response: { result: { resultCode: 'ORDER_NOT_EXIST' } } })
})

t.test('a request signed with the wrong key is a setup error INVALID_SIGNATURE', async (t) => {
  t.match(await client({ privateKey: stranger.privateKey }).inquire(newOrderNo()), {
    kind: 'setup_error',
    resultCode: 'INVALID_SIGNATURE',
    httpStatus: 200,
  })
})

t.test('an unknown client id is a setup error INVALID_CLIENT', async (t) => {
  t.match(await client({ clientId: 'SOMEONE_ELSE' }).inquire(newOrderNo()), { kind: 'setup_error', resultCode: 'INVALID_CLIENT' })
})

t.test('a response altered after signing is never trusted', async (t) => {
  const orderNo = newOrderNo()
  sim.createPayment({ paymentRequestId: orderNo, amount })
  sim.completePayment(orderNo, { status: 'FAIL', notify: false })
  sim.setFaults({ inquiryTamperRate: 1 })
  t.match(await client().inquire(orderNo), { kind: 'setup_error', resultCode: 'INVALID_RESPONSE_SIGNATURE' })
  t.equal(sim.stats().inquiries.tampered, 1)
})

t.test('a response signed by a key that is not Alipay+\'s is never trusted', async (t) => {
  const orderNo = newOrderNo()
  sim.createPayment({ paymentRequestId: orderNo, amount })
  sim.completePayment(orderNo, { status: 'SUCCESS', notify: false })
  t.match(await client({ alipayPublicKeys: [stranger.publicKey] }).inquire(orderNo), {
    kind: 'setup_error',
    resultCode: 'INVALID_RESPONSE_SIGNATURE',
  })
  // The same answer verifies when Alipay+'s key is part of a rotation list.
  t.match(await client({ alipayPublicKeys: [stranger.publicKey, alipay.publicKey] }).inquire(orderNo), { kind: 'final' })
})

t.test("an answer Alipay+ signed for another merchant's Client-Id is never trusted", async (t) => {
  // Alipay+ signs every merchant's answers with one key: the signature holds, the answer is not ours.
  const orderNo = newOrderNo()
  sim.createPayment({ paymentRequestId: orderNo, amount })
  sim.completePayment(orderNo, { status: 'SUCCESS', notify: false })
  sim.setFaults({ answerOtherClientIdRate: 1 })
  t.match(await client().inquire(orderNo), { kind: 'setup_error', resultCode: 'CLIENT_ID_MISMATCH', resultMessage: /another Client-Id/ })
  sim.setFaults({ answerOtherClientIdRate: 0 })
  t.match(await client().inquire(orderNo), { kind: 'final', status: 'SUCCESS' }, 'the answer addressed to us is read')
})

t.test("the caller's abort rejects with its reason", async (t) => {
  sim.setFaults({ inquirySlowMs: 30_000 })
  const controller = new AbortController()
  const before = sim.stats().inquiries.received
  const pending = client().inquire(newOrderNo(), { signal: controller.signal })
  await until(() => sim.stats().inquiries.received > before)
  const reason = new Error('shutting down')
  controller.abort(reason)
  await t.rejects(pending, reason)
  await t.rejects(client().inquire(newOrderNo(), { signal: controller.signal }), reason, 'an aborted signal rejects at once')
})

t.test('close() rejects calls in flight and later ones', async (t) => {
  sim.setFaults({ inquirySlowMs: 30_000 })
  const c = client()
  const before = sim.stats().inquiries.received
  const pending = c.inquire(newOrderNo())
  await until(() => sim.stats().inquiries.received > before)
  c.close()
  await t.rejects(pending, InquiryClientClosedError)
  await t.rejects(c.inquire(newOrderNo()), InquiryClientClosedError)
})

t.test('a gateway path prefix is kept in the URL but never signed; a trailing slash is tolerated', async (t) => {
  const prefixed = createSimulator({
    clientId: CLIENT_ID,
    merchantPublicKey: merchant.publicKey,
    alipayPrivateKey: alipay.privateKey,
    pathPrefix: '/gateway/v2',
  })
  t.teardown(() => prefixed.close())
  const base = await prefixed.listen()
  prefixed.createPayment({ paymentRequestId: 'prefixed-1', amount })
  prefixed.completePayment('prefixed-1', { status: 'SUCCESS', notify: false })
  t.match(await client({ gatewayUrl: `${base}/gateway/v2/` }).inquire('prefixed-1'), { kind: 'final', status: 'SUCCESS' })
  t.match(await client({ gatewayUrl: `${base}/gateway/v2` }).inquire('prefixed-1'), { kind: 'final', status: 'SUCCESS' })
  // Without the prefix the route does not exist: a 404 without an Alipay+ result.
  t.match(await client({ gatewayUrl: base }).inquire('prefixed-1'), { kind: 'setup_error', resultCode: 'HTTP_404' })
})

t.test('behind a prefix, the request and the answer are signed over the API path alone', async (t) => {
  // A gateway at https://host/sandbox as the official SDKs meet it: the request arrives at
  // /sandbox/aps/..., its signature and the answer's cover /aps/... only.
  const seen: Array<{ url: string; verified: boolean }> = []
  const gateway = fastify()
  gateway.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
  gateway.post('/sandbox/aps/api/v1/payments/inquiryPayment', async (request, reply) => {
    const raw = request.body as Buffer
    const verified = await verifyMessage({
      path: '/aps/api/v1/payments/inquiryPayment',
      headers: request.headers,
      body: raw,
      publicKeys: [merchant.publicKey],
      timeHeader: 'Request-Time',
    })
    seen.push({ url: request.url, verified: verified.ok })
    const body = JSON.stringify({
      result: { resultCode: 'SUCCESS', resultStatus: 'S' },
      paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S' },
      paymentRequestId: 'sandbox-1',
      paymentAmount: amount,
    })
    const headers = await signMessage({
      path: '/aps/api/v1/payments/inquiryPayment',
      clientId: CLIENT_ID,
      time: nowRequestTime(),
      body,
      privateKey: alipay.privateKey,
      keyVersion: '1',
      timeHeader: 'Response-Time',
    })
    return reply.headers(headers).send(body)
  })
  t.teardown(() => gateway.close())
  const base = await gateway.listen({ port: 0, host: '127.0.0.1' })
  t.match(await client({ gatewayUrl: `${base}/sandbox` }).inquire('sandbox-1'), { kind: 'final', status: 'SUCCESS' })
  t.same(seen, [{ url: '/sandbox/aps/api/v1/payments/inquiryPayment', verified: true }], 'sent under the prefix, signed without it')
})

t.test('gatewayUrl and requestTimeoutMs are checked up front', async (t) => {
  t.throws(() => client({ gatewayUrl: 'not a url' }), { code: 'FST_ALIPAYPLUS_INVALID_OPTION', message: /"gatewayUrl"/ })
  t.throws(() => client({ gatewayUrl: 'ftp://example.com' }), { code: 'FST_ALIPAYPLUS_INVALID_OPTION' })
  t.throws(() => client({ requestTimeoutMs: 0 }), { code: 'FST_ALIPAYPLUS_INVALID_OPTION', message: /"requestTimeoutMs"/ })
  // Above 2^31-1 ms Node's timer would fire after 1 ms: every call would "time out" at once.
  t.throws(() => client({ requestTimeoutMs: 2 ** 31 }), { code: 'FST_ALIPAYPLUS_INVALID_OPTION', message: /"requestTimeoutMs"/ })
})

t.test('answers from a hand-written gateway: unsigned, half-signed, about another payment', async (t) => {
  // Each request gets the next prepared answer, signed (or not) with Alipay+'s key.
  type Prepared = { body: object | string; sign: boolean; status?: number; dropTime?: boolean; dropClientId?: boolean }
  const answers: Prepared[] = []
  const gateway = fastify()
  gateway.post('/aps/api/v1/payments/inquiryPayment', async (request, reply) => {
    const answer = answers.shift()!
    const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)
    if (answer.sign) {
      const headers = await signMessage({
        path: request.url,
        clientId: CLIENT_ID,
        time: nowRequestTime(),
        body,
        privateKey: alipay.privateKey,
        keyVersion: '1',
        timeHeader: 'Response-Time',
      })
      if (answer.dropTime) delete headers['response-time']
      if (answer.dropClientId) delete headers['client-id']
      reply.headers(headers)
    }
    return reply.code(answer.status ?? 200).type('application/json').send(body)
  })
  t.teardown(() => gateway.close())
  const base = await gateway.listen({ port: 0, host: '127.0.0.1' })
  const c = client({ gatewayUrl: base })
  const paid = (id: string) => ({
    result: { resultCode: 'SUCCESS', resultStatus: 'S' },
    paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S' },
    paymentRequestId: id,
    paymentAmount: amount,
  })

  answers.push({ body: paid('x-1'), sign: false })
  t.match(
    await c.inquire('x-1'),
    { kind: 'setup_error', resultCode: 'INVALID_RESPONSE_SIGNATURE', resultMessage: /no Signature/ },
    'an unsigned answer is never a result',
  )

  answers.push({ body: { result: { resultCode: 'UNKNOWN_EXCEPTION', resultStatus: 'U' } }, sign: false })
  t.match(await c.inquire('x-1'), { kind: 'setup_error', resultCode: 'INVALID_RESPONSE_SIGNATURE' }, 'not even an unsigned U')

  answers.push({ body: paid('x-1'), sign: false, status: 502 })
  t.match(await c.inquire('x-1'), { kind: 'retry', reason: 'http_status', httpStatus: 502 }, 'an unsigned 5xx is still a retry')

  answers.push({ body: paid('x-1'), sign: false, status: 400 })
  t.match(await c.inquire('x-1'), { kind: 'setup_error', resultCode: 'HTTP_400' }, 'an unsigned 4xx: its body is not read')

  answers.push({ body: paid('x-1'), sign: false })
  t.match(
    await client({ gatewayUrl: base, acceptUnsignedInquiryResponses: true }).inquire('x-1'),
    { kind: 'final', status: 'SUCCESS' },
    'read only when acceptUnsignedInquiryResponses is on',
  )

  answers.push({ body: paid('x-2'), sign: true, dropTime: true })
  t.match(await c.inquire('x-2'), { kind: 'setup_error', resultCode: 'INVALID_RESPONSE_SIGNATURE' }, 'signature without Response-Time')

  answers.push({ body: paid('x-5'), sign: true, dropClientId: true })
  t.match(await c.inquire('x-5'), { kind: 'final', status: 'SUCCESS' }, 'no Client-Id in the answer: verified with our own')

  answers.push({ body: paid('x-6'), sign: true, dropClientId: true })
  t.match(
    await client({ gatewayUrl: base, clientId: 'OTHER_CLIENT' }).inquire('x-6'),
    { kind: 'setup_error', resultCode: 'INVALID_RESPONSE_SIGNATURE' },
    'and that Client-Id is part of the signed content',
  )

  answers.push({ body: paid('someone-else'), sign: true })
  t.match(await c.inquire('x-3'), { kind: 'setup_error', resultCode: 'PAYMENT_REQUEST_ID_MISMATCH' })

  answers.push({ body: { ...paid('x-7'), paymentRequestId: 7 }, sign: true })
  t.match(await c.inquire('x-7'), { kind: 'setup_error', resultCode: 'PAYMENT_REQUEST_ID_MISMATCH' }, 'a paymentRequestId that is no string is no match')

  answers.push({ body: { ...paid('x-8'), paymentRequestId: undefined }, sign: true })
  t.match(await c.inquire('x-8'), { kind: 'final', status: 'SUCCESS' }, 'an answer without paymentRequestId is read')

  answers.push({ body: paid('x-4'), sign: true })
  t.match(await c.inquire('x-4'), { kind: 'final', status: 'SUCCESS' }, 'and the properly signed answer passes')
})
