// What can never fix itself is not retried for ever, and the application hears of it: an
// unrecordable inquiry answer, an amount mismatch, a setup error, an order Alipay+ never learns
// about. Each ends its loop, flags the order (except a setup error, which is the setup's fault),
// logs at error and calls onAttention; the reconciler leaves flagged orders alone.
import t from 'tap'
import type { AttentionAlert } from '../../src/index.js'
import { needsServer } from '../helpers/databases.js'
import { rsaKeyPair } from '../helpers/keys.js'
import { notifyBody, signedNotify } from '../helpers/notify-request.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { alipayKeys, buildWorld, FAST_POLLING, logsOf, until, type World } from '../helpers/world.js'

// These run on PostgreSQL: skipped, saying why, where no server can be reached.
const PG = await needsServer('postgresql')

const inquiriesFor = (world: World, orderNo: string) => world.sim.stats().inquiries.byPayment[orderNo] ?? 0
// A reconciler that runs only when told (reconcileNow), for orders of any age.
const RECONCILE_ON_DEMAND = { intervalMs: 2 ** 31 - 1, minAgeMs: 0, batchSize: 100 }

function collect(): { alerts: AttentionAlert[]; onAttention: (alert: AttentionAlert) => void } {
  const alerts: AttentionAlert[] = []
  return { alerts, onAttention: (alert) => void alerts.push(alert) }
}

t.test('an inquiry SUCCESS without paymentAmount: one inquiry, typed error, flagged, hook, never picked again', PG, async (t) => {
  const { alerts, onAttention } = collect()
  const world = await buildWorld(t, { app: { onAttention } })
  const reconciling = await world.addApp({ reconcile: RECONCILE_ON_DEMAND })
  // Its pass at start (minAgeMs 0) must be over before the order exists, or it inquires too.
  await reconciling.alipayplus.reconcileNow()
  await world.order('noamt-1')
  world.sim.completePayment('noamt-1', { status: 'SUCCESS', notify: false })
  world.sim.setPaymentFaults('noamt-1', { inquiryNoAmountRate: 1 })

  await t.rejects(world.app.awaitPaymentResult('noamt-1'), { code: 'FST_ALIPAYPLUS_INVALID_ANSWER', statusCode: 502 })
  t.equal(inquiriesFor(world, 'noamt-1'), 1, 'not retried: the same answer would come every time')
  t.equal(world.app.alipayplus.stats().outcomes.invalid_answer, 1)
  t.match(await world.store.getOrder('noamt-1'), { status: 'init', attention: 'invalid_answer' })
  t.same(await world.store.listEvents('noamt-1'), [], 'nothing recorded from it')
  t.ok(
    logsOf(world.app).some((l) => l.level >= 50 && l.orderNo === 'noamt-1' && /cannot be recorded/.test(l.msg)),
    'logged at error',
  )
  await until(() => alerts.length === 1)
  t.match(alerts[0], {
    kind: 'invalid_answer',
    orderNo: 'noamt-1',
    source: 'inquiry',
    attention: 'invalid_answer',
    resultCode: 'SUCCESS',
    problem: 'a SUCCESS without paymentAmount',
  })

  // The reconciler no longer asks about it; it is listed for a human.
  await reconciling.alipayplus.reconcileNow()
  t.equal(inquiriesFor(world, 'noamt-1'), 1, 'the reconciler leaves it alone')
  t.same((await world.store.findOrdersNeedingAttention()).map((o) => [o.orderNo, o.attention]), [['noamt-1', 'invalid_answer']])
  // awaitPaymentResult answers from the database for a flagged order that stays unknown.
  world.sim.setPaymentFaults('noamt-1', { inquiryNoAmountRate: 0 })
  t.match(await world.app.awaitPaymentResult('noamt-1'), { status: 'SUCCESS', source: 'inquiry' }, 'an explicit wait still inquires, and a valid answer is recorded')
})

t.test('an inquiry amount mismatch: flagged once, hook with both amounts, not picked by every reconcile pass', PG, async (t) => {
  const { alerts, onAttention } = collect()
  const world = await buildWorld(t, { app: { onAttention, reconcile: RECONCILE_ON_DEMAND } })
  // The pass at start is over before the order exists: only the passes below may pick it.
  await world.app.alipayplus.reconcileNow()
  await world.store.createOrder({ orderNo: 'mism-1', amount: { currency: 'USD', value: '100' } })
  world.sim.createPayment({ paymentRequestId: 'mism-1', amount: { currency: 'USD', value: '999' } })
  world.sim.completePayment('mism-1', { status: 'SUCCESS', notify: false })

  await world.app.alipayplus.reconcileNow()
  await until(async () => (await world.store.getOrder('mism-1'))?.attention === 'amount_mismatch')
  t.equal(inquiriesFor(world, 'mism-1'), 1)
  t.same((await world.store.listEvents('mism-1')).map((e) => [e.source, e.applied, e.reason]), [['inquiry', false, 'amount_mismatch']])
  await until(() => alerts.length === 1)
  t.match(alerts[0], {
    kind: 'amount_mismatch',
    orderNo: 'mism-1',
    source: 'inquiry',
    attention: 'amount_mismatch',
    expected: { currency: 'USD', value: '100' },
    received: { currency: 'USD', value: '999' },
  })
  t.type(alerts[0]!.kind === 'amount_mismatch' && alerts[0]!.eventId, 'string')
  t.ok(logsOf(world.app).some((l) => l.level >= 50 && l.orderNo === 'mism-1' && /amount mismatch/.test(l.msg)), 'logged at error')

  for (let pass = 0; pass < 3; pass++) t.equal(await world.app.alipayplus.reconcileNow(), 0, `pass ${pass}: nothing to pick`)
  t.equal(inquiriesFor(world, 'mism-1'), 1, 'never asked again')
  t.equal(alerts.length, 1)
})

t.test('an inquiry answer that conflicts with a result recorded while it was in flight: the first kept, the answer audited, hook', PG, async (t) => {
  const { alerts, onAttention } = collect()
  const world = await buildWorld(t)
  // The polling instance reaches Alipay+ through a proxy that holds its inquiry in flight.
  const sim = new URL(world.simUrl)
  const proxy = await startTcpProxy({ host: sim.hostname, port: Number(sim.port) })
  t.teardown(() => proxy.close())
  const poller = await world.addApp({ gatewayUrl: `http://127.0.0.1:${proxy.port}`, onAttention, reconcile: false, requestTimeoutMs: 120_000 })
  await world.order('conflict-1')
  world.sim.completePayment('conflict-1', { status: 'SUCCESS', notify: false })

  proxy.stall()
  const waiting = poller.awaitPaymentResult('conflict-1')
  // The order was still init when the inquiry went out.
  await until(() => proxy.accepted === 1)
  const failed = notifyBody('conflict-1', { paymentResult: { resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F', resultMessage: 'closed' } })
  t.equal((await world.app.inject(await signedNotify(alipayKeys.privateKey, failed))).statusCode, 200, 'a FAIL notification recorded first')
  proxy.resume()

  t.match(await waiting, { status: 'FAIL', source: 'notify' }, 'the waiter gets the first final result')
  t.match(await world.store.getOrder('conflict-1'), { status: 'FAIL', resultSource: 'notify', attention: null })
  t.same(
    (await world.store.listEvents('conflict-1')).map((e) => [e.source, e.resultStatus, e.applied, e.reason]),
    [['notify', 'F', true, null], ['inquiry', 'S', false, 'conflicting_result']],
    'the later answer is kept beside it, not applied',
  )
  await until(() => alerts.length === 1)
  t.match(alerts[0], {
    kind: 'conflicting_result',
    orderNo: 'conflict-1',
    source: 'inquiry',
    attention: null,
    recorded: { status: 'FAIL', source: 'notify', resultCode: 'ORDER_IS_CLOSED' },
    received: { status: 'SUCCESS', resultCode: 'SUCCESS' },
  })
  t.type(alerts[0]!.kind === 'conflicting_result' && alerts[0]!.eventId, 'string')
  t.ok(logsOf(poller).some((l) => l.level >= 50 && l.orderNo === 'conflict-1' && /conflicts with the recorded final result/.test(l.msg)), 'logged at error')
})

t.test('a setup error fires the hook, without flagging the order (the setup is at fault, not the order)', PG, async (t) => {
  const { alerts, onAttention } = collect()
  const world = await buildWorld(t)
  const wrongKey = await world.addApp({ privateKey: rsaKeyPair().privatePem, onAttention })
  await world.order('setup-h-1')
  await t.rejects(wrongKey.awaitPaymentResult('setup-h-1'), { code: 'FST_ALIPAYPLUS_SETUP_ERROR' })
  await until(() => alerts.length === 1)
  t.match(alerts[0], { kind: 'setup_error', orderNo: 'setup-h-1', source: 'inquiry', attention: null, alipayResultCode: 'INVALID_SIGNATURE' })
  t.equal((await world.store.getOrder('setup-h-1'))?.attention, null, 'once the setup is fixed, the reconciler drives it')
})

t.test('an order Alipay+ never learns about: backs off, then is given up after reconcile.notFoundGiveUpMs, flagged, hook', PG, async (t) => {
  const { alerts, onAttention } = collect()
  const world = await buildWorld(t, {
    app: {
      onAttention,
      // Leases that expire at once, so that the next pass may pick the young order again.
      leaseMarginMs: 1,
      polling: { ...FAST_POLLING, maxRetryTimeMs: 300 },
      reconcile: { ...RECONCILE_ON_DEMAND, intervalMs: 1_000, maxAgeMs: 86_400_000, notFoundGiveUpMs: 3_600_000 },
    },
  })
  // The pass the reconciler runs at start is over (a call made while it runs waits for the next
  // one): it cannot pick the orders below before this test's own pass does.
  t.equal(await world.app.alipayplus.reconcileNow(), 0, 'nothing to pick before the orders exist')
  // ORDER_NOT_EXIST for both: the merchant created them, Alipay+ never heard of them.
  await world.store.createOrder({ orderNo: 'ghost-old', amount: { currency: 'USD', value: '100' } })
  await world.store.createOrder({ orderNo: 'ghost-young', amount: { currency: 'USD', value: '100' } })
  await world.prisma.paymentOrder.update({ where: { orderNo: 'ghost-old' }, data: { createdAt: new Date(Date.now() - 2 * 3_600_000) } })
  await world.prisma.paymentOrder.update({ where: { orderNo: 'ghost-young' }, data: { createdAt: new Date(Date.now() - 10 * 60_000) } })

  t.equal(await world.app.alipayplus.reconcileNow(), 2, 'both are polled once more')
  await until(async () => (await world.store.getOrder('ghost-old'))?.attention === 'not_found')
  // Once its window is over, the young one is checked again after a wait as long as its age (10
  // minutes), not after intervalMs (1 s). Until then its next check is the turn's (1.3 s ahead).
  await until(async () => (await world.store.getOrder('ghost-young'))!.nextCheckAt!.getTime() > Date.now() + 9 * 60_000)
  await until(() => world.app.alipayplus.stats().activeLoops === 0)
  const old = await world.store.getOrder('ghost-old')
  // Every answer is counted; an inquiry the window's end cut short reached Alipay+ but was never answered.
  t.ok(old!.notFoundCount >= 1 && old!.notFoundCount <= inquiriesFor(world, 'ghost-old'), 'the answers counted')
  const young = await world.store.getOrder('ghost-young')
  t.equal(young?.attention, null, 'a young order is not given up')
  t.ok(young!.nextCheckAt!.getTime() < Date.now() + 11 * 60_000, 'the young one backs off as long as its age, no longer')
  t.equal(await world.app.alipayplus.reconcileNow(), 0, 'neither is picked now: one flagged, one not due')
  await until(() => alerts.length === 1)
  t.match(alerts[0], { kind: 'not_found', orderNo: 'ghost-old', source: 'inquiry', attention: 'not_found', notFoundGiveUpMs: 3_600_000 })
  t.ok(logsOf(world.app).some((l) => l.level >= 50 && l.orderNo === 'ghost-old' && /notFoundGiveUpMs/.test(l.msg)), 'logged at error')
  t.same((await world.store.findOrdersNeedingAttention()).map((o) => [o.orderNo, o.attention, o.status]), [['ghost-old', 'not_found', 'init']])
})

t.test('an order Alipay+ knows but never finalizes: given up after reconcile.maxAgeMs, flagged, hook, no longer polled', PG, async (t) => {
  const { alerts, onAttention } = collect()
  const world = await buildWorld(t, {
    app: {
      onAttention,
      leaseMarginMs: 1,
      polling: { ...FAST_POLLING, maxRetryTimeMs: 300 },
      // Even with the not-found give-up long past: Alipay+ answers "in process", not "not found".
      reconcile: { ...RECONCILE_ON_DEMAND, maxAgeMs: 86_400_000, notFoundGiveUpMs: 1 },
    },
  })
  t.equal(await world.app.alipayplus.reconcileNow(), 0, 'nothing to pick before the orders exist')
  await world.order('stuck-old')
  await world.order('stuck-young')
  await world.prisma.paymentOrder.update({ where: { orderNo: 'stuck-old' }, data: { createdAt: new Date(Date.now() - 2 * 86_400_000) } })

  t.equal(await world.app.alipayplus.reconcileNow(), 2, 'both are polled once more')
  await until(async () => (await world.store.getOrder('stuck-old'))?.attention === 'gave_up')
  await until(() => world.app.alipayplus.stats().activeLoops === 0)
  t.ok(inquiriesFor(world, 'stuck-old') >= 1)
  t.equal((await world.store.getOrder('stuck-old'))?.notFoundCount, 0)
  await until(async () => (await world.store.getOrder('stuck-young'))?.nextCheckAt !== null)
  t.equal((await world.store.getOrder('stuck-young'))?.attention, null, 'a young order is not given up')
  await until(() => alerts.length === 1)
  t.match(alerts[0], { kind: 'gave_up', orderNo: 'stuck-old', source: 'inquiry', attention: 'gave_up', maxAgeMs: 86_400_000 })
  t.ok(logsOf(world.app).some((l) => l.level >= 50 && l.orderNo === 'stuck-old' && /maxAgeMs/.test(l.msg)), 'logged at error')

  const asked = inquiriesFor(world, 'stuck-old')
  await world.prisma.paymentOrder.update({ where: { orderNo: 'stuck-young' }, data: { nextCheckAt: new Date(Date.now() - 1) } })
  t.equal(await world.app.alipayplus.reconcileNow(), 1, 'only the young one is picked')
  await until(() => world.app.alipayplus.stats().activeLoops === 0)
  t.equal(inquiriesFor(world, 'stuck-old'), asked, 'the old one is no longer polled')
  t.same((await world.store.findOrdersNeedingAttention()).map((o) => [o.orderNo, o.attention, o.status]), [['stuck-old', 'gave_up', 'init']])
  t.equal(alerts.length, 1)
})
