// A cancel whose answer never came may have been executed by Alipay+ (a paid payment: a full
// refund). It is recorded as sent before the call leaves, worked to an answer whatever happens to
// the instance that sent it, and a SUCCESS recorded after it is flagged and alerted. The cancel is
// decided by the order's age, never by one caller's timeoutMs. Against the simulator over real
// HTTP, on PostgreSQL and PGlite.
import t from 'tap'
import type { AttentionAlert } from '../../src/index.js'
import { backendNamed, forEachBackend, needsServer, openClient } from '../helpers/databases.js'
import { rsaKeyPair } from '../helpers/keys.js'
import { buildMerchantApp } from '../helpers/merchant-app.js'
import { notifyBody, signedNotify } from '../helpers/notify-request.js'
import { proxiedUrl } from '../helpers/tcp-proxy.js'
import { alipayKeys, buildWorld, FAST_POLLING, FAST_RATE, logsOf, merchantKeys, until, type World } from '../helpers/world.js'
import type { Backend } from '../helpers/databases.js'

const ACK = '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}'
// The orders' polling window (their age at which the payment is cancelled), and a wait as long.
const ORDER_WINDOW_MS = 300
const WINDOW = { timeoutMs: ORDER_WINDOW_MS }
// A reconciler that runs at start and when told (reconcileNow), for orders of any age.
const RECONCILE_ON_DEMAND = { intervalMs: 2 ** 31 - 1, minAgeMs: 0, batchSize: 100 }

type Alerts = AttentionAlert[]
const collect = (alerts: Alerts) => (alert: AttentionAlert) => void alerts.push(alert)
const kinds = (alerts: Alerts) => alerts.map((alert) => alert.kind)

async function cancellingWorld(t: Parameters<typeof buildWorld>[0], backend: Backend): Promise<World & { alerts: Alerts }> {
  const alerts: Alerts = []
  const world = await buildWorld(t, {
    backend,
    app: {
      cancelAfterWindow: true,
      polling: { ...FAST_POLLING, maxRetryTimeMs: ORDER_WINDOW_MS },
      // A lost answer waits until the test drops it (sim.dropLostAnswers), not for a timeout.
      requestTimeoutMs: 120_000,
      onAttention: collect(alerts),
    },
  })
  return { ...world, alerts }
}

/** A payment the customer paid, whose result neither a notification nor an inquiry tells us in time. */
function paidButUnknown(world: World, orderNo: string, faults: Record<string, number> = {}): void {
  world.sim.completePayment(orderNo, { status: 'SUCCESS', notify: false })
  world.sim.setPaymentFaults(orderNo, { inquiryInProcessRate: 1, ...faults })
}

const cancelCalls = (world: World, orderNo: string) => world.sim.getPayment(orderNo)?.cancelCalls ?? 0
const inquiriesFor = (world: World, orderNo: string) => world.sim.stats().inquiries.byPayment[orderNo] ?? 0

await forEachBackend(
  t,
  async (t, backend) => {
    t.test('a SUCCESS notification while the cancel has no answer: recorded, flagged and alerted, no second cancel', async (t) => {
      const world = await cancellingWorld(t, backend)
      await world.order('late-paid')
      // The first cancel is executed (the paid payment refunded) and its answer never comes.
      paidButUnknown(world, 'late-paid', { cancelAnswerLostFirstN: 1 })
      const waiting = world.app.awaitPaymentResult('late-paid', WINDOW)
      await until(() => cancelCalls(world, 'late-paid') === 1)
      t.match(await world.store.getOrder('late-paid'), { status: 'init', cancelState: 'sent' }, 'recorded as sent before the call')
      t.type((await world.store.getOrder('late-paid'))?.cancelSentAt, Date)

      // Alipay+'s notification of the payment arrives while the cancel call waits for its answer.
      const response = await world.app.inject(await signedNotify(alipayKeys.privateKey, notifyBody('late-paid')))
      t.equal(response.body, ACK)
      // Then the cancel call fails (connection reset): the retry finds the order final.
      t.equal(world.sim.dropLostAnswers(), 1)
      t.match(await waiting, { status: 'SUCCESS', source: 'notify' }, 'the recorded result')
      t.match(world.sim.getPayment('late-paid'), { status: 'SUCCESS', cancelled: true, refunded: true }, 'but Alipay+ refunded it')

      await until(() => world.alerts.some((a) => a.kind === 'success_after_cancel'))
      t.match(world.alerts.find((a) => a.kind === 'success_after_cancel'), {
        orderNo: 'late-paid',
        source: 'notify',
        attention: 'success_after_cancel',
        cancelState: 'sent',
        cancelSentAt: Date,
      })
      t.match(await world.store.getOrder('late-paid'), { status: 'SUCCESS', resultSource: 'notify', attention: 'success_after_cancel', cancelState: 'sent' })
      t.ok(logsOf(world.app).some((l) => l.level >= 50 && l.orderNo === 'late-paid' && /after a cancelPayment was sent/.test(l.msg)), 'logged at error')
      // The wait above ended with the cancel: its retry found the order final and sent nothing.
      t.equal(cancelCalls(world, 'late-paid'), 1, 'a final order is never cancelled again')
      t.equal(kinds(world.alerts).filter((k) => k === 'success_after_cancel').length, 1, 'one alert per order')
    })

    t.test('another instance holds the lease when the cancel is retried: alerted, left sent; a SUCCESS inquired later is flagged', async (t) => {
      const world = await cancellingWorld(t, backend)
      await world.order('held')
      paidButUnknown(world, 'held', { cancelAnswerLostFirstN: 1 })
      const waiting = world.app.awaitPaymentResult('held', WINDOW)
      await until(() => cancelCalls(world, 'held') === 1)

      // While the cancel call waits for its answer, another instance takes the order's lease over
      // (one whose clock runs ahead would): the lease row as that instance's claim writes it.
      await world.prisma.paymentOrder.update({
        where: { orderNo: 'held' },
        data: { leaseOwner: 'another-instance', leaseUntil: new Date(Date.now() + 3_600_000) },
      })
      t.equal(world.sim.dropLostAnswers(), 1)
      t.match(await waiting, { status: 'init', final: false }, 'no retry under the other instance\'s lease')
      await until(() => world.alerts.length > 0)
      t.match(world.alerts, [{ kind: 'cancel_unconfirmed', orderNo: 'held', source: 'cancel', attention: null, lastOutcome: /lease/ }])
      t.match(await world.store.getOrder('held'), { status: 'init', cancelState: 'sent', attention: null }, 'left for the reconciler')
      t.equal(cancelCalls(world, 'held'), 1)

      // The other instance lets go, and a later wait's inquiry finds the payment SUCCESS (Alipay+
      // refunded it): recorded, since Alipay+ says so, and flagged with its own alert.
      await world.prisma.paymentOrder.update({ where: { orderNo: 'held' }, data: { leaseOwner: null, leaseUntil: null } })
      world.sim.setPaymentFaults('held', { inquiryInProcessRate: 0 })
      const otherAlerts: Alerts = []
      // Its own window is the world's wide one: the 300 ms of the cancelling world could end
      // before the first inquiry on a loaded machine, and the window's end resumes the cancel.
      const other = await world.addApp({ onAttention: collect(otherAlerts), polling: FAST_POLLING })
      t.match(await other.awaitPaymentResult('held'), { status: 'SUCCESS', source: 'inquiry' })
      await until(() => otherAlerts.length > 0)
      t.match(otherAlerts, [{ kind: 'success_after_cancel', orderNo: 'held', source: 'inquiry', attention: 'success_after_cancel', cancelState: 'sent' }])
      t.match(await world.store.getOrder('held'), { status: 'SUCCESS', attention: 'success_after_cancel' })
    })

    t.test('close() mid-cancel, then a restart: alerted at close, the reconciler sends the cancel again', async (t) => {
      const world = await cancellingWorld(t, backend)
      await world.order('closed-mid')
      paidButUnknown(world, 'closed-mid', { cancelAnswerLostFirstN: 1 })
      // Its rejection is handled from the start: it comes while close() runs, before the check.
      const waiting = world.app.awaitPaymentResult('closed-mid', WINDOW).then(
        () => null,
        (error: unknown) => error,
      )
      await until(() => cancelCalls(world, 'closed-mid') === 1)

      await world.app.close()
      t.match(await waiting, { code: 'FST_ALIPAYPLUS_CLOSED' })
      await until(() => world.alerts.length > 0)
      t.match(world.alerts, [{ kind: 'cancel_unconfirmed', orderNo: 'closed-mid', attention: null, lastOutcome: /close/ }])
      t.match(await world.store.getOrder('closed-mid'), { status: 'init', cancelState: 'sent', attention: null })

      // Meanwhile Alipay+ answers inquiries with the payment's status again: SUCCESS (refunded).
      world.sim.setPaymentFaults('closed-mid', { inquiryInProcessRate: 0 })
      const restartAlerts: Alerts = []
      const restarted = await world.addApp({ reconcile: RECONCILE_ON_DEMAND, onAttention: collect(restartAlerts) })
      await restarted.alipayplus.reconcileNow()
      // The answer is recorded (FAIL), then the cancel marked confirmed.
      await until(async () => (await world.store.getOrder('closed-mid'))?.cancelState !== 'sent')
      t.match(await world.store.getOrder('closed-mid'), { status: 'FAIL', resultSource: 'cancel', cancelState: 'confirmed' }, 'the cancel\'s answer decides')
      t.equal(cancelCalls(world, 'closed-mid'), 2, 'sent again: Alipay+ treats it as the same cancel')
      t.match(world.sim.getPayment('closed-mid'), { cancelled: true, refunded: true })
      t.same(restartAlerts, [])
    })

    t.test('a restart with a merchant key Alipay+ does not know: the resumed cancel is refused for the setup, flagged, alerted, nothing recorded', async (t) => {
      const world = await cancellingWorld(t, backend)
      await world.order('rekeyed')
      paidButUnknown(world, 'rekeyed', { cancelAnswerLostFirstN: 1 })
      const waiting = world.app.awaitPaymentResult('rekeyed', WINDOW).catch((error: unknown) => error)
      await until(() => cancelCalls(world, 'rekeyed') === 1)
      await world.app.close()
      t.match(await waiting, { code: 'FST_ALIPAYPLUS_CLOSED' })
      t.match(await world.store.getOrder('rekeyed'), { status: 'init', cancelState: 'sent', attention: null })

      // The instance comes back signing with a key Alipay+ was never given: it answers
      // INVALID_SIGNATURE, signed, and the resumed cancel is the first call to hear it.
      const restartAlerts: Alerts = []
      const restarted = await world.addApp({ privateKey: rsaKeyPair().privatePem, reconcile: RECONCILE_ON_DEMAND, onAttention: collect(restartAlerts) })
      await restarted.alipayplus.reconcileNow()
      await until(() => restartAlerts.length === 1)
      t.match(restartAlerts, [{ kind: 'setup_error', orderNo: 'rekeyed', source: 'cancel', attention: 'cancel_unconfirmed', alipayResultCode: 'INVALID_SIGNATURE' }])
      t.match(
        await world.store.getOrder('rekeyed'),
        { status: 'init', cancelState: 'sent', attention: 'cancel_unconfirmed' },
        'left init for a human, still sent: the refusal says nothing of the first cancel, which was executed',
      )
      t.same(await world.store.listEvents('rekeyed'), [], 'nothing recorded from the refusal')
      t.equal(cancelCalls(world, 'rekeyed'), 1, 'refused before it reached the payment')
      t.ok(logsOf(restarted).some((l) => l.level >= 50 && l.orderNo === 'rekeyed' && /refused for the setup/.test(l.msg)), 'logged at error')
      await restarted.alipayplus.reconcileNow()
      t.equal(cancelCalls(world, 'rekeyed'), 1, 'a flagged order is not resumed again')
      t.equal(restartAlerts.length, 1)

      // The key fixed, another restart: an inquiry would now answer SUCCESS for the refunded
      // payment, so the flagged order is neither polled nor recorded.
      const inquiries = inquiriesFor(world, 'rekeyed')
      const fixed = await world.addApp({ reconcile: RECONCILE_ON_DEMAND })
      await fixed.alipayplus.reconcileNow()
      t.equal(inquiriesFor(world, 'rekeyed'), inquiries, 'not polled')
      t.match(await world.store.getOrder('rekeyed'), { status: 'init', attention: 'cancel_unconfirmed' }, 'still for a human')
    })

    t.test('an order whose cancel was never answered is resumed, never polled, even when the pass has no room to resume it', async (t) => {
      const world = await cancellingWorld(t, backend)
      // Two paid orders whose cancels were sent by an instance that then died: `first` sent first,
      // `older` created first. One order a pass: the pass resumes `first` (oldest cancel) and
      // lists `older` as the oldest order: an inquiry of it would answer SUCCESS for a payment
      // its cancel refunds.
      for (const orderNo of ['older', 'first']) {
        await world.order(orderNo)
        world.sim.completePayment(orderNo, { status: 'SUCCESS', notify: false })
      }
      const leftSent = (orderNo: string, sentAgoMs: number, createdAgoMs: number) =>
        world.prisma.paymentOrder.update({
          where: { orderNo },
          data: { cancelState: 'sent', cancelSentAt: new Date(Date.now() - sentAgoMs), createdAt: new Date(Date.now() - createdAgoMs) },
        })
      await leftSent('first', 60_000, 60_000)
      await leftSent('older', 30_000, 120_000)
      const reconciling = await world.addApp({ reconcile: { ...RECONCILE_ON_DEMAND, batchSize: 1 } })
      // Settled: its cancel confirmed, or (what must not happen) SUCCESS recorded from an inquiry.
      const settled = async (orderNo: string) => {
        const order = await world.store.getOrder(orderNo)
        return order?.cancelState === 'confirmed' || order?.status === 'SUCCESS'
      }
      await until(async () => {
        await reconciling.alipayplus.reconcileNow()
        return (await settled('first')) && (await settled('older'))
      })
      for (const orderNo of ['first', 'older']) {
        t.match(await world.store.getOrder(orderNo), { status: 'FAIL', resultSource: 'cancel', cancelState: 'confirmed', attention: null }, `${orderNo}: its cancel resumed`)
        t.equal(inquiriesFor(world, orderNo), 0, `${orderNo}: never inquired`)
      }
    })

    t.test('a short timeoutMs ends one caller\'s wait, never the order\'s window: no cancel', async (t) => {
      const world = await buildWorld(t, { backend, app: { cancelAfterWindow: true } })
      await world.order('m1')
      const long = world.app.awaitPaymentResult('m1')
      t.match(await world.app.awaitPaymentResult('m1', { timeoutMs: 200 }), { status: 'init', final: false }, 'a status check')
      t.equal(cancelCalls(world, 'm1'), 0, 'the order\'s window (60 s) is not over')
      t.match(await world.store.getOrder('m1'), { status: 'init', cancelState: null })
      world.sim.completePayment('m1', { status: 'SUCCESS' })
      t.match(await long, { status: 'SUCCESS' }, 'the other caller gets the payment')
      t.equal(cancelCalls(world, 'm1'), 0)

      // An order past its window is cancelled when a wait ends, however short.
      await world.order('m1-old')
      await world.prisma.paymentOrder.update({ where: { orderNo: 'm1-old' }, data: { createdAt: new Date(Date.now() - 2 * FAST_POLLING.maxRetryTimeMs) } })
      t.match(await world.app.awaitPaymentResult('m1-old', { timeoutMs: 200 }), { status: 'FAIL', source: 'cancel' })
    })

    t.test('one answer with a bad signature among good ones is retried and alerted; the waiter gets the result', async (t) => {
      const alerts: Alerts = []
      const world = await buildWorld(t, { backend, app: { onAttention: collect(alerts) } })
      await world.order('forged-1')
      world.sim.completePayment('forged-1', { status: 'SUCCESS', notify: false })
      // The first answer is altered after it was signed (its status flipped to F).
      world.sim.setPaymentFaults('forged-1', { inquiryTamperFirstN: 1 })
      t.match(await world.app.awaitPaymentResult('forged-1'), { status: 'SUCCESS', source: 'inquiry' })
      t.equal(world.sim.stats().inquiries.tampered, 1)
      t.equal(inquiriesFor(world, 'forged-1'), 2)
      await until(() => alerts.length === 1)
      t.match(alerts[0], { kind: 'setup_error', orderNo: 'forged-1', source: 'inquiry', alipayResultCode: 'INVALID_RESPONSE_SIGNATURE' })
      t.ok(logsOf(world.app).some((l) => l.level >= 50 && l.orderNo === 'forged-1' && /cannot be trusted/.test(l.msg)), 'logged at error')

      // An answer that never verifies (a wrong Alipay+ key, a rewriting proxy) ends the wait.
      await world.order('forged-all')
      world.sim.completePayment('forged-all', { status: 'SUCCESS', notify: false })
      world.sim.setPaymentFaults('forged-all', { inquiryTamperRate: 1 })
      await t.rejects(world.app.awaitPaymentResult('forged-all'), { code: 'FST_ALIPAYPLUS_SETUP_ERROR', alipayResultCode: 'INVALID_RESPONSE_SIGNATURE' })
      t.equal(inquiriesFor(world, 'forged-all'), 5, 'UNTRUSTED_ANSWERS_LIMIT answers in a row')
      t.equal((await world.store.getOrder('forged-all'))?.status, 'init')
    })
  },
  [backendNamed('postgresql'), backendNamed('pglite')],
)

t.test('the database fails while the cancel has no answer: alerted, left sent, resumed once it is back', await needsServer('postgresql'), async (t) => {
  const world = await cancellingWorld(t, backendNamed('postgresql'))
  // An instance whose database connections go through a proxy the test cuts. Its leases last
  // about its request timeout: the one it cannot release during the outage lapses soon after.
  const { proxy, url } = await proxiedUrl(t, world.databaseUrl!)
  const prisma = await openClient(t, 'postgresql', url)
  const alerts: Alerts = []
  const { app } = await buildMerchantApp(t, {
    prisma,
    merchant: merchantKeys,
    alipay: alipayKeys,
    gatewayUrl: world.simUrl,
    polling: { ...FAST_POLLING, maxRetryTimeMs: ORDER_WINDOW_MS },
    maxInquiriesPerSecond: FAST_RATE,
    requestTimeoutMs: 2_000,
    leaseMarginMs: 1,
    cancelAfterWindow: true,
    onAttention: collect(alerts),
  })
  await world.order('db-down')
  paidButUnknown(world, 'db-down', { cancelAnswerLostFirstN: 1 })
  const waiting = app.awaitPaymentResult('db-down', WINDOW).then(
    () => null,
    (error: unknown) => error,
  )
  await until(() => cancelCalls(world, 'db-down') === 1)

  proxy.cut()
  t.equal(world.sim.dropLostAnswers(), 1)
  t.ok(await waiting, 'the waiter hears of the database error')
  await until(() => alerts.length > 0)
  t.match(alerts, [{ kind: 'cancel_unconfirmed', orderNo: 'db-down', attention: null, lastOutcome: /database error/ }])
  t.notOk(JSON.stringify(alerts).includes(world.databaseUrl!), 'no connection string in the alert')
  t.equal(cancelCalls(world, 'db-down'), 1, 'no call while its state cannot be read')

  proxy.restore()
  t.match(await world.store.getOrder('db-down'), { status: 'init', cancelState: 'sent', attention: null })
  world.sim.setPaymentFaults('db-down', { inquiryInProcessRate: 0 })
  const restarted = await world.addApp({ reconcile: RECONCILE_ON_DEMAND })
  // Passes until the lapsed lease lets one resume it.
  await until(async () => {
    await restarted.alipayplus.reconcileNow()
    return (await world.store.getOrder('db-down'))?.cancelState === 'confirmed'
  })
  t.match(await world.store.getOrder('db-down'), { status: 'FAIL', resultSource: 'cancel', cancelState: 'confirmed' })
  t.equal(cancelCalls(world, 'db-down'), 2)
})
