// InquiryClient.cancel against the simulator's cancelPayment (real HTTP, real keys), and against
// a hand-written gateway for what the simulator does not do (5xx, silence, bad signatures).
import { createServer } from 'node:net'
import { fastify } from 'fastify'
import t from 'tap'
import { CANCEL_PAYMENT_PATH, InquiryClient, type InquiryClientOptions } from '../../src/protocol/inquiry-client.js'
import { classifyCancelResponse } from '../../src/protocol/cancel-outcome.js'
import { nowRequestTime, signMessage } from '../../src/protocol/signature.js'
import { createSimulator, type AlipayPlusSimulator, SimPaymentFinalError } from '../../src/simulator/index.js'
import { rsaKeyPair } from '../helpers/keys.js'

const merchant = rsaKeyPair()
const alipay = rsaKeyPair()
const stranger = rsaKeyPair()
const CLIENT_ID = 'SANDBOX_CANCEL_TEST'
const amount = { currency: 'USD', value: '500' }

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

t.before(async () => {
  sim = createSimulator({ clientId: CLIENT_ID, merchantPublicKey: merchant.publicKey, alipayPrivateKey: alipay.privateKey })
  gatewayUrl = await sim.listen()
})
t.afterEach(() => {
  sim.setFaults({ cancelUnknownRate: 0, cancelFailRate: 0, answerOtherClientIdRate: 0 })
})
t.teardown(async () => {
  for (const c of clients) c.close()
  await sim.close()
})

t.test('an unpaid payment is closed: cancelled, and it can no longer be paid', async (t) => {
  sim.createPayment({ paymentRequestId: 'c-1', amount })
  t.match(await client().cancel('c-1'), { kind: 'cancelled', response: { result: { resultStatus: 'S' }, paymentRequestId: 'c-1' } })
  t.match(sim.getPayment('c-1'), { status: 'FAIL', resultCode: 'ORDER_IS_CLOSED', cancelled: true, refunded: false })
  t.match(await client().inquire('c-1'), { kind: 'final', status: 'FAIL', resultCode: 'ORDER_IS_CLOSED' }, 'inquiry agrees')
  t.throws(() => sim.completePayment('c-1', { status: 'SUCCESS', notify: false }), SimPaymentFinalError)
  t.match(await client().cancel('c-1'), { kind: 'cancelled' }, 'cancelling again is harmless')
})

t.test('a paid payment is refunded: cancelled, status stays SUCCESS', async (t) => {
  sim.createPayment({ paymentRequestId: 'c-2', amount })
  const paid = sim.completePayment('c-2', { status: 'SUCCESS', notify: false })
  t.match(await client().cancel('c-2'), { kind: 'cancelled', response: { paymentId: paid.paymentId } })
  t.match(sim.getPayment('c-2'), { status: 'SUCCESS', cancelled: true, refunded: true })
})

t.test('fault U: a retry, nothing cancelled', async (t) => {
  sim.createPayment({ paymentRequestId: 'c-3', amount })
  sim.setFaults({ cancelUnknownRate: 1 })
  t.match(await client().cancel('c-3'), { kind: 'retry', reason: 'unknown_exception', resultCode: 'UNKNOWN_EXCEPTION' })
  t.match(sim.getPayment('c-3'), { status: 'PROCESSING', cancelled: false })
})

t.test('fault F: refused with its code, nothing cancelled', async (t) => {
  sim.createPayment({ paymentRequestId: 'c-4', amount, faults: { cancelFailRate: 1 } })
  t.match(await client().cancel('c-4'), { kind: 'refused', resultCode: 'PROCESS_FAIL', httpStatus: 200 })
  t.match(sim.getPayment('c-4'), { status: 'PROCESSING', cancelled: false })
})

t.test('an unknown payment: refused; a bad request signature, another client: setup errors, nothing cancelled', async (t) => {
  t.match(await client().cancel('never-created'), { kind: 'refused', resultCode: 'ORDER_NOT_EXIST' })
  sim.createPayment({ paymentRequestId: 'c-5', amount })
  t.match(await client({ privateKey: stranger.privateKey }).cancel('c-5'), { kind: 'setup_error', resultCode: 'INVALID_SIGNATURE' })
  t.match(await client({ clientId: 'SOMEONE_ELSE' }).cancel('c-5'), { kind: 'setup_error', resultCode: 'INVALID_CLIENT' })
  t.match(sim.getPayment('c-5'), { status: 'PROCESSING', cancelled: false })
})

t.test("an answer not signed by Alipay+'s key is never a cancel", async (t) => {
  sim.createPayment({ paymentRequestId: 'c-6', amount })
  t.match(await client({ alipayPublicKeys: [stranger.publicKey] }).cancel('c-6'), {
    kind: 'setup_error',
    resultCode: 'INVALID_RESPONSE_SIGNATURE',
  })
})

t.test("an answer Alipay+ signed for another merchant's Client-Id is never a cancel", async (t) => {
  sim.createPayment({ paymentRequestId: 'c-8', amount })
  sim.setFaults({ answerOtherClientIdRate: 1 })
  t.match(await client().cancel('c-8'), { kind: 'setup_error', resultCode: 'CLIENT_ID_MISMATCH' })
})

t.test('behind a gateway path prefix, signed over the API path alone', async (t) => {
  const prefixed = createSimulator({ clientId: CLIENT_ID, merchantPublicKey: merchant.publicKey, alipayPrivateKey: alipay.privateKey, pathPrefix: '/sandbox' })
  t.teardown(() => prefixed.close())
  const base = await prefixed.listen()
  prefixed.createPayment({ paymentRequestId: 'c-7', amount })
  t.match(await client({ gatewayUrl: `${base}/sandbox` }).cancel('c-7'), { kind: 'cancelled' })
  t.match(prefixed.getPayment('c-7'), { status: 'FAIL', cancelled: true })
})

t.test('a hand-written gateway: 5xx, silence, unsigned, another payment, a closed port', async (t) => {
  type Prepared = { status?: number; body: string | object; sign: boolean; hang?: boolean }
  const answers: Prepared[] = []
  // forceCloseConnections: close() must not wait for the request left hanging.
  const gateway = fastify({ forceCloseConnections: true })
  gateway.post(CANCEL_PAYMENT_PATH, async (request, reply) => {
    const answer = answers.shift()!
    if (answer.hang) return new Promise(() => {})
    const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)
    if (answer.sign) {
      reply.headers(
        await signMessage({ path: CANCEL_PAYMENT_PATH, clientId: CLIENT_ID, time: nowRequestTime(), body, privateKey: alipay.privateKey, keyVersion: '1', timeHeader: 'Response-Time' }),
      )
    }
    return reply.code(answer.status ?? 200).type('application/json').send(body)
  })
  t.teardown(() => gateway.close())
  const base = await gateway.listen({ port: 0, host: '127.0.0.1' })
  const c = client({ gatewayUrl: base, requestTimeoutMs: 300 })
  const cancelled = (id: string) => ({ result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'Success' }, paymentRequestId: id })

  answers.push({ status: 503, body: '<html>503</html>', sign: false })
  t.match(await c.cancel('h-1'), { kind: 'retry', reason: 'http_status', httpStatus: 503 })

  answers.push({ body: { result: { resultCode: 'REQUEST_TRAFFIC_EXCEED_LIMIT', resultStatus: 'U' } }, sign: true })
  t.match(await c.cancel('h-1'), { kind: 'retry', reason: 'traffic_limit' })

  answers.push({ body: '', sign: false, hang: true })
  t.match(await c.cancel('h-1'), { kind: 'retry', reason: 'timeout' })

  answers.push({ body: cancelled('h-1'), sign: false })
  t.match(await c.cancel('h-1'), { kind: 'setup_error', resultCode: 'INVALID_RESPONSE_SIGNATURE' }, 'an unsigned S is no cancel')

  answers.push({ body: cancelled('someone-else'), sign: true })
  t.match(await c.cancel('h-1'), { kind: 'setup_error', resultCode: 'PAYMENT_REQUEST_ID_MISMATCH' })

  answers.push({ body: cancelled('h-1'), sign: true })
  t.match(await c.cancel('h-1'), { kind: 'cancelled' }, 'and the signed S is')

  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  t.match(await client({ gatewayUrl: `http://127.0.0.1:${port}` }).cancel('h-1'), { kind: 'retry', reason: 'network' })
})

t.test('classifyCancelResponse, row by row', async (t) => {
  const result = (resultCode: string, resultStatus: string) => ({ result: { resultCode, resultStatus } })
  t.match(classifyCancelResponse(200, result('SUCCESS', 'S')), { kind: 'cancelled' })
  t.match(classifyCancelResponse(200, result('UNKNOWN_EXCEPTION', 'U')), { kind: 'retry', reason: 'unknown_exception' })
  t.match(classifyCancelResponse(200, result('PROCESS_FAIL', 'F')), { kind: 'refused', resultCode: 'PROCESS_FAIL', resultMessage: 'PROCESS_FAIL' })
  t.match(classifyCancelResponse(200, result('ORDER_NOT_EXIST', 'F')), { kind: 'refused', resultCode: 'ORDER_NOT_EXIST' })
  for (const code of ['ACCESS_DENIED', 'INVALID_SIGNATURE', 'KEY_NOT_FOUND', 'INVALID_CLIENT', 'PARAM_ILLEGAL', 'INVALID_API', 'METHOD_NOT_SUPPORTED', 'MEDIA_TYPE_NOT_ACCEPTABLE']) {
    const outcome = classifyCancelResponse(200, result(code, 'F'))
    t.match(outcome, { kind: 'setup_error', resultCode: code, httpStatus: 200 }, `F ${code} refuses our setup, not the cancel`)
    t.notOk('untrusted' in outcome, `F ${code} is a signed answer, to be believed`)
  }
  t.match(classifyCancelResponse(500, result('SUCCESS', 'S')), { kind: 'retry', reason: 'http_status' }, 'a 5xx is never a cancel')
  t.match(classifyCancelResponse(429, undefined), { kind: 'retry', reason: 'traffic_limit' })
  t.match(classifyCancelResponse(408, undefined), { kind: 'retry', reason: 'http_status' })
  t.match(classifyCancelResponse(200, { result: { resultStatus: 'S' } }), { kind: 'retry', reason: 'malformed_response' }, 'no resultCode')
  t.match(classifyCancelResponse(200, undefined), { kind: 'retry', reason: 'malformed_response' })
  t.match(classifyCancelResponse(404, undefined), { kind: 'setup_error', resultCode: 'HTTP_404' })
})
