// notifyPayment delivery, redelivery and notification faults, observed at a real receiver.
import t from 'tap'
import { createSimulator, type SimulatorOptions } from '../../src/simulator/index.js'
import { rsaKeyPair } from '../helpers/keys.js'
import { type Answer, type Delivery, startReceiver } from './fixtures/merchant-receiver.js'

const merchant = rsaKeyPair()
const alipay = rsaKeyPair()
const other = rsaKeyPair()
const CLIENT_ID = 'CLIENT_NOTIFY_TEST'
const amount = { currency: 'JPY', value: '1250' }

async function setup(t: { teardown(fn: () => unknown): void }, answer?: (delivery: Delivery, index: number) => Answer, options: Partial<SimulatorOptions> = {}) {
  const receiver = await startReceiver({
    clientId: CLIENT_ID,
    alipayPublicKey: alipay.publicKey,
    merchantPrivateKey: merchant.privateKey,
    otherPrivateKey: other.privateKey,
    answer,
  })
  const sim = createSimulator({
    clientId: CLIENT_ID,
    merchantPublicKey: merchant.publicKey,
    alipayPrivateKey: alipay.privateKey,
    wrongPrivateKey: other.privateKey,
    notifyUrl: receiver.url,
    redeliveryScheduleMs: [0, 20, 20, 20, 20],
    ...options,
  })
  t.teardown(async () => {
    await sim.close()
    await receiver.close()
  })
  return { sim, receiver }
}

function pay(sim: ReturnType<typeof createSimulator>, id: string, status: 'SUCCESS' | 'FAIL' = 'SUCCESS') {
  sim.createPayment({ paymentRequestId: id, amount })
  return sim.completePayment(id, { status })
}

t.test('a query string in the notify URL is sent but not signed', async (t) => {
  const { sim, receiver } = await setup(t)
  sim.setNotifyUrl(`${receiver.url}?shop=42&src=alipayplus`)
  pay(sim, 'n-query')
  t.equal(await sim.waitForDelivered('n-query'), 'acknowledged')
  t.match(receiver.deliveries[0]!.verified, { ok: true })
})

t.test('a SUCCESS notification is signed, complete, and acknowledged by a signed S', async (t) => {
  const { sim, receiver } = await setup(t)
  const paid = pay(sim, 'n-1')
  t.equal(await sim.waitForDelivered('n-1'), 'acknowledged')
  t.equal(receiver.deliveries.length, 1)
  const [delivery] = receiver.deliveries
  t.same(delivery!.verified, { ok: true, clientId: CLIENT_ID, time: (delivery!.verified as { time: string }).time })
  t.same(delivery!.body, {
    paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
    paymentRequestId: 'n-1',
    paymentId: paid.paymentId,
    acquirerId: '1022188000000000001',
    pspId: '1022172000000000001',
    customerId: paid.customerId,
    walletBrandName: 'Alipay+ Simulator Wallet',
    paymentAmount: amount,
    paymentTime: paid.paymentTime,
  })
  t.match(sim.stats().notifications, { scheduled: 1, sent: 1, acknowledged: 1, pending: 0, byPayment: { 'n-1': { state: 'acknowledged', attempts: 1 } } })
})

t.test('a FAIL notification has status F and no paymentId', async (t) => {
  const { sim, receiver } = await setup(t)
  pay(sim, 'n-2', 'FAIL')
  t.equal(await sim.waitForDelivered('n-2'), 'acknowledged')
  t.match(receiver.deliveries[0]!.body, { paymentResult: { resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' }, paymentRequestId: 'n-2' })
  t.notOk('paymentId' in receiver.deliveries[0]!.body)
})

t.test('redelivered until the answer is HTTP 200, signed, and S', async (t) => {
  const script: Answer[] = ['http500', 'unsigned', 'fail', 'wrongKey', 'ack']
  const { sim, receiver } = await setup(t, (_delivery, index) => script[index] ?? 'ack')
  pay(sim, 'n-3')
  t.equal(await sim.waitForDelivered('n-3'), 'acknowledged')
  t.equal(receiver.deliveries.length, 5)
  t.ok(receiver.deliveries.every((d) => d.verified.ok && d.body.paymentRequestId === 'n-3'))
  t.match(sim.stats().notifications, { sent: 5, acknowledged: 1, byPayment: { 'n-3': { attempts: 5, sent: 5 } } })
})

t.test('redelivery stops when the schedule is exhausted', async (t) => {
  const { sim, receiver } = await setup(t, () => 'unsigned', { redeliveryScheduleMs: [0, 10, 10] })
  pay(sim, 'n-4')
  t.equal(await sim.waitForDelivered('n-4'), 'exhausted')
  t.equal(receiver.deliveries.length, 3)
  t.match(sim.stats().notifications, { exhausted: 1, acknowledged: 0, pending: 0 })
})

t.test('drop: the notification is never sent', async (t) => {
  const { sim, receiver } = await setup(t)
  sim.createPayment({ paymentRequestId: 'n-5', amount, faults: { notifyDropRate: 1 } })
  sim.completePayment('n-5', { status: 'SUCCESS' })
  pay(sim, 'n-6')
  t.equal(await sim.waitForDelivered('n-5'), 'dropped')
  t.equal(await sim.waitForDelivered('n-6'), 'acknowledged')
  await sim.waitForIdle()
  t.same(receiver.deliveries.map((d) => d.body.paymentRequestId), ['n-6'])
  t.match(sim.stats().notifications, { dropped: 1, sent: 1 })
})

t.test('duplicate: the first delivery arrives twice', async (t) => {
  const { sim, receiver } = await setup(t)
  sim.createPayment({ paymentRequestId: 'n-7', amount, faults: { notifyDuplicateRate: 1 } })
  sim.completePayment('n-7', { status: 'SUCCESS' })
  t.equal(await sim.waitForDelivered('n-7'), 'acknowledged')
  t.equal(receiver.deliveries.length, 2)
  t.same(receiver.deliveries[0]!.body, receiver.deliveries[1]!.body)
  t.ok(receiver.deliveries.every((d) => d.verified.ok))
})

t.test('wrong amount: paymentAmount differs from the payment, still properly signed', async (t) => {
  const { sim, receiver } = await setup(t)
  sim.createPayment({ paymentRequestId: 'n-8', amount, faults: { notifyWrongAmountRate: 1 } })
  sim.completePayment('n-8', { status: 'SUCCESS' })
  await sim.waitForDelivered('n-8')
  const [delivery] = receiver.deliveries
  t.ok(delivery!.verified.ok)
  t.match(delivery!.body, { paymentAmount: { currency: 'JPY' } })
  t.not((delivery!.body.paymentAmount as { value: string }).value, '1250')
})

t.test('wrong key: the receiver cannot verify, so it never acknowledges', async (t) => {
  const { sim, receiver } = await setup(t, undefined, { faults: { notifyWrongKeyRate: 1 }, redeliveryScheduleMs: [0, 10] })
  pay(sim, 'n-9')
  t.equal(await sim.waitForDelivered('n-9'), 'exhausted')
  t.equal(receiver.deliveries.length, 2)
  t.ok(receiver.deliveries.every((d) => !d.verified.ok && d.verified.reason === 'bad_signature'))
})

t.test('wrong key without a configured key: one is generated', async (t) => {
  const { sim, receiver } = await setup(t, undefined, { wrongPrivateKey: undefined, redeliveryScheduleMs: [0] })
  sim.createPayment({ paymentRequestId: 'n-10', amount, faults: { notifyWrongKeyRate: 1 } })
  sim.completePayment('n-10', { status: 'SUCCESS' })
  t.equal(await sim.waitForDelivered('n-10'), 'exhausted')
  t.match(receiver.deliveries, [{ verified: { ok: false, reason: 'bad_signature' } }])
})

t.test('reorder: deliveries due together arrive in reverse order', async (t) => {
  const { sim, receiver } = await setup(t, undefined, { faults: { notifyReorder: true } })
  for (const id of ['r-1', 'r-2', 'r-3', 'r-4']) pay(sim, id)
  await sim.waitForIdle()
  t.same(receiver.deliveries.map((d) => d.body.paymentRequestId), ['r-4', 'r-3', 'r-2', 'r-1'])
})

t.test('delay: a delayed notification is still pending while others are delivered; close() cancels it', async (t) => {
  const { sim, receiver } = await setup(t)
  sim.createPayment({ paymentRequestId: 'n-11', amount, faults: { notifyDelayMs: 600_000 } })
  sim.completePayment('n-11', { status: 'SUCCESS' })
  pay(sim, 'n-12')
  t.equal(await sim.waitForDelivered('n-12'), 'acknowledged')
  t.match(sim.stats().notifications.byPayment['n-11'], { state: 'pending', attempts: 0 })
  const settled = sim.waitForDelivered('n-11')
  await sim.close()
  t.equal(await settled, 'cancelled')
  t.same(receiver.deliveries.map((d) => d.body.paymentRequestId), ['n-12'])
})

t.test('no notifyUrl yet: the attempt fails, a later one reaches the URL once set', async (t) => {
  const { sim, receiver } = await setup(t, undefined, { notifyUrl: undefined, redeliveryScheduleMs: [0, 20, 20, 20, 20, 20] })
  pay(sim, 'n-13')
  while ((sim.stats().notifications.byPayment['n-13']?.attempts ?? 0) < 1) await new Promise((resolve) => setTimeout(resolve, 5))
  sim.setNotifyUrl(receiver.url)
  t.equal(await sim.waitForDelivered('n-13'), 'acknowledged')
  t.ok(sim.stats().notifications.byPayment['n-13']!.attempts >= 2)
  t.equal(receiver.deliveries.length, 1)
})

t.test('notify: false schedules nothing', async (t) => {
  const { sim, receiver } = await setup(t)
  sim.createPayment({ paymentRequestId: 'n-14', amount })
  sim.completePayment('n-14', { status: 'SUCCESS', notify: false })
  await t.rejects(sim.waitForDelivered('n-14'), { code: 'FST_ALIPAYPLUS_SIM_NO_NOTIFICATION' })
  await sim.waitForIdle()
  t.equal(receiver.deliveries.length, 0)
})
