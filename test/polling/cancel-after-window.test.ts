// cancelAfterWindow against the simulator's cancelPayment: S records FAIL (source cancel); U is
// cancelled again, a bounded number of times; F means no cancel: one more inquiry, then the
// order is left to a human; past the T+1 00:15 GMT+8 deadline nothing is sent; a success
// notification after a confirmed cancel is a conflict, logged at error and handed to onAttention.
import t from 'tap'
import type { AttentionAlert } from '../../src/index.js'
import { needsServer } from '../helpers/databases.js'
import { notifyBody, signedNotify } from '../helpers/notify-request.js'
import { alipayKeys, buildWorld, FAST_POLLING, logsOf, until, type World } from '../helpers/world.js'

// These run on PostgreSQL: skipped, saying why, where no server can be reached.
const PG = await needsServer('postgresql')

const ACK = '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}'
// The orders' polling window (their age at which the payment is cancelled), and a wait as long.
const ORDER_WINDOW_MS = 300
const WINDOW = { timeoutMs: ORDER_WINDOW_MS }

async function cancellingWorld(t: Parameters<typeof buildWorld>[0]): Promise<World & { alerts: AttentionAlert[] }> {
  const alerts: AttentionAlert[] = []
  const world = await buildWorld(t, {
    app: { cancelAfterWindow: true, polling: { ...FAST_POLLING, maxRetryTimeMs: ORDER_WINDOW_MS }, onAttention: (alert) => void alerts.push(alert) },
  })
  return { ...world, alerts }
}

t.test('S: the payment is cancelled and recorded FAIL with source cancel, once for all waiters', PG, async (t) => {
  const world = await cancellingWorld(t)
  await world.order('cx-s')
  const [first, second] = await Promise.all([
    world.app.awaitPaymentResult('cx-s', WINDOW),
    world.app.awaitPaymentResult('cx-s', WINDOW),
  ])
  for (const result of [first, second]) {
    t.match(result, { orderNo: 'cx-s', status: 'FAIL', final: true, source: 'cancel', resultCode: 'CANCELLED' })
  }
  t.match(world.sim.getPayment('cx-s'), { status: 'FAIL', resultCode: 'ORDER_IS_CLOSED', cancelled: true, cancelCalls: 1 })
  t.same(world.app.alipayplus.stats().cancels, { cancelled: 1, retry: 0, refused: 0, setup_error: 0 }, 'one cancel call')
  const events = await world.store.listEvents('cx-s')
  t.same(events.map((e) => [e.source, e.resultStatus, e.resultCode, e.applied]), [['cancel', 'F', 'CANCELLED', true]])
  t.match(JSON.parse(events[0]!.payload), { result: { resultStatus: 'S' }, paymentRequestId: 'cx-s' }, 'the cancel answer is the event')
  t.match(await world.store.getOrder('cx-s'), { status: 'FAIL', resultSource: 'cancel', attention: null })
  // Final now: a later wait answers from the database, and nothing is cancelled again.
  t.match(await world.app.awaitPaymentResult('cx-s', WINDOW), { status: 'FAIL', source: 'cancel' })
  t.equal(world.sim.getPayment('cx-s')?.cancelCalls, 1)
  t.same(world.alerts, [])

  // Off: the window ends with the order init and the payment untouched.
  const plain = await world.addApp({ cancelAfterWindow: false })
  await world.order('cx-off')
  t.match(await plain.awaitPaymentResult('cx-off', WINDOW), { status: 'init', final: false })
  t.match(world.sim.getPayment('cx-off'), { status: 'PROCESSING', cancelCalls: 0 })
})

t.test('U then S: the cancel is sent again until Alipay+ answers S', PG, async (t) => {
  const world = await cancellingWorld(t)
  await world.order('cx-us')
  world.sim.setPaymentFaults('cx-us', { cancelUnknownFirstN: 2 })
  t.match(await world.app.awaitPaymentResult('cx-us', WINDOW), { status: 'FAIL', source: 'cancel', final: true })
  t.same(world.app.alipayplus.stats().cancels, { cancelled: 1, retry: 2, refused: 0, setup_error: 0 })
  t.match(world.sim.getPayment('cx-us'), { cancelled: true, cancelCalls: 3 })
  t.same(world.alerts, [])
})

t.test('U to the last retry: never recorded, left to a human as cancel_unconfirmed', PG, async (t) => {
  const world = await cancellingWorld(t)
  await world.order('cx-u')
  world.sim.setPaymentFaults('cx-u', { cancelUnknownRate: 1 })
  t.match(await world.app.awaitPaymentResult('cx-u', WINDOW), { status: 'init', final: false, attention: 'cancel_unconfirmed' })
  t.same(world.app.alipayplus.stats().cancels, { cancelled: 0, retry: 6, refused: 0, setup_error: 0 }, 'bounded: 1 + 5 retries')
  t.match(world.sim.getPayment('cx-u'), { status: 'PROCESSING', cancelled: false, cancelCalls: 6 })
  t.same(await world.store.listEvents('cx-u'), [], 'nothing recorded')
  await until(() => world.alerts.length === 1)
  t.match(world.alerts[0], { kind: 'cancel_unconfirmed', orderNo: 'cx-u', source: 'cancel', attention: 'cancel_unconfirmed' })
  t.ok(logsOf(world.app).some((l) => l.level >= 50 && l.orderNo === 'cx-u' && /unconfirmed/.test(l.msg)), 'logged at error')
})

t.test('F: no cancel happened; one more inquiry, then the order is left to a human (cancel_refused)', PG, async (t) => {
  const world = await cancellingWorld(t)
  await world.order('cx-f')
  world.sim.setPaymentFaults('cx-f', { cancelFailRate: 1 })
  const stats = () => world.app.alipayplus.stats()
  t.match(await world.app.awaitPaymentResult('cx-f', WINDOW), { status: 'init', final: false, attention: 'cancel_refused' })
  t.same(stats().cancels, { cancelled: 0, retry: 0, refused: 1, setup_error: 0 }, 'an F is not retried')
  t.match(world.sim.getPayment('cx-f'), { status: 'PROCESSING', cancelled: false })
  t.match(await world.store.getOrder('cx-f'), { status: 'init', attention: 'cancel_refused' })
  t.same(await world.store.listEvents('cx-f'), [], 'never recorded FAIL from a refused cancel')
  await until(() => world.alerts.length === 1)
  t.match(world.alerts[0], {
    kind: 'cancel_refused',
    orderNo: 'cx-f',
    source: 'cancel',
    attention: 'cancel_refused',
    alipayResultCode: 'PROCESS_FAIL',
  })
  t.ok(logsOf(world.app).some((l) => l.level >= 50 && l.orderNo === 'cx-f' && /refused/.test(l.msg)), 'logged at error')
  t.same((await world.store.findOrdersNeedingAttention()).map((o) => o.orderNo), ['cx-f'])
})

t.test('past the deadline (T+1 00:15 GMT+8): no cancel sent, left to a human', PG, async (t) => {
  const world = await cancellingWorld(t)
  await world.order('cx-late')
  await world.prisma.paymentOrder.update({ where: { orderNo: 'cx-late' }, data: { createdAt: new Date(Date.now() - 2 * 86_400_000) } })
  t.match(await world.app.awaitPaymentResult('cx-late', WINDOW), { status: 'init', final: false, attention: 'cancel_deadline_passed' })
  t.match(world.sim.getPayment('cx-late'), { status: 'PROCESSING', cancelCalls: 0 }, 'no cancelPayment call')
  t.same(world.app.alipayplus.stats().cancels, { cancelled: 0, retry: 0, refused: 0, setup_error: 0 })
  await until(() => world.alerts.length === 1)
  const alert = world.alerts[0]!
  t.match(alert, { kind: 'cancel_deadline_passed', orderNo: 'cx-late', source: 'cancel', attention: 'cancel_deadline_passed' })
  t.ok(alert.kind === 'cancel_deadline_passed' && alert.deadline.getTime() < Date.now(), 'the deadline it missed')
})

t.test('a success notification after a confirmed cancel: a conflict, logged at error, hook fired, FAIL stands', PG, async (t) => {
  const world = await cancellingWorld(t)
  await world.order('cx-late-paid')
  // Paid at Alipay+, but neither the notification nor the inquiries told us within the window.
  world.sim.completePayment('cx-late-paid', { status: 'SUCCESS', notify: false })
  world.sim.setPaymentFaults('cx-late-paid', { inquiryInProcessRate: 1 })
  t.match(await world.app.awaitPaymentResult('cx-late-paid', WINDOW), { status: 'FAIL', source: 'cancel' })
  t.match(world.sim.getPayment('cx-late-paid'), { status: 'SUCCESS', cancelled: true, refunded: true }, 'Alipay+ refunds it')

  // The success notification comes late, signed by Alipay+.
  const response = await world.app.inject(await signedNotify(alipayKeys.privateKey, notifyBody('cx-late-paid')))
  t.equal(response.statusCode, 200)
  t.equal(response.body, ACK, 'acknowledged: the message is recorded as an event, redelivery would change nothing')
  t.match(await world.store.getOrder('cx-late-paid'), { status: 'FAIL', resultSource: 'cancel' }, 'the first final result stands')
  t.same(
    (await world.store.listEvents('cx-late-paid')).map((e) => [e.source, e.resultStatus, e.applied, e.reason]),
    [
      ['cancel', 'F', true, null],
      ['notify', 'S', false, 'conflicting_result'],
    ],
  )
  t.ok(
    logsOf(world.app).some((l) => l.level >= 50 && l.orderNo === 'cx-late-paid' && /conflicts/.test(l.msg)),
    'logged at error',
  )
  await until(() => world.alerts.length === 1)
  t.match(world.alerts[0], {
    kind: 'conflicting_result',
    orderNo: 'cx-late-paid',
    source: 'notify',
    attention: null,
    recorded: { status: 'FAIL', source: 'cancel', resultCode: 'CANCELLED' },
    received: { status: 'SUCCESS', resultCode: 'SUCCESS' },
  })
})
