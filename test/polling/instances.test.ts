// Nothing stranded, nothing doubled: the reconciler of a fresh instance finishes what a dead
// one left init, the polling lease keeps two instances from inquiring twice, and two instances
// on one database never transition an order twice. On each of the four databases.
import t from 'tap'
import { forEachBackend } from '../helpers/databases.js'
import { settledAudit } from '../helpers/audit.js'
import { buildWorld, until } from '../helpers/world.js'

const ORDERS = 20

// Four databases, several instances each: more than tap's default 180 s on a loaded machine.
t.setTimeout(900_000)

await forEachBackend(t, async (t, backend) => {
  t.test("a fresh instance's reconciler finalizes the orders a crashed one left init", async (t) => {
    const world = await buildWorld(t, { backend, app: { leaseMarginMs: 300 } })
    const orderNos = Array.from({ length: ORDERS }, (_, i) => `orphan-${i}`)
    for (const orderNo of orderNos) await world.order(orderNo)
    // The first instance starts polling (taking leases), then goes away with the payments open.
    const waiting = orderNos.map((orderNo) => world.app.awaitPaymentResult(orderNo).catch((e: { code: string }) => e.code))
    await until(() => world.sim.stats().inquiries.received >= ORDERS)
    await world.app.close()
    t.ok((await Promise.all(waiting)).every((code) => code === 'FST_ALIPAYPLUS_CLOSED'))

    // Meanwhile the payments complete and every notification is lost.
    for (const [i, orderNo] of orderNos.entries()) {
      world.sim.completePayment(orderNo, { status: i % 4 === 0 ? 'FAIL' : 'SUCCESS', notify: false })
    }
    t.equal(await world.prisma.paymentOrder.count({ where: { status: 'init' } }), ORDERS, 'all still init')

    const fresh = await world.addApp({ reconcile: { intervalMs: 100, minAgeMs: 0, batchSize: 50 } })
    await until(async () => (await world.prisma.paymentOrder.count({ where: { status: 'init' } })) === 0)
    const orders = await world.prisma.paymentOrder.findMany({ where: { orderNo: { in: orderNos } } })
    t.ok(orders.every((o) => o.resultSource === 'inquiry'))
    t.equal(orders.filter((o) => o.status === 'FAIL').length, ORDERS / 4)
    const trail = await settledAudit(world.prisma, orderNos)
    t.same([trail.badFinalEvents, trail.unexplained], [[], 0], 'each order decided by one event of its own')
    await until(() => fresh.alipayplus.stats().activeLoops === 0)
  })

  t.test('the reconciler leaves young orders and orders with a live lease alone', async (t) => {
    const world = await buildWorld(t, { backend, app: { reconcile: { intervalMs: 60_000, minAgeMs: 60_000 } } })
    await world.order('young-1')
    t.equal(await world.app.alipayplus.reconcileNow(), 0, 'younger than minAgeMs')
    await world.prisma.paymentOrder.update({
      where: { orderNo: 'young-1' },
      data: { createdAt: new Date(Date.now() - 120_000), leaseOwner: 'other', leaseUntil: new Date(Date.now() + 60_000) },
    })
    t.equal(await world.app.alipayplus.reconcileNow(), 0, 'another instance holds the lease')
    await world.prisma.paymentOrder.update({ where: { orderNo: 'young-1' }, data: { leaseUntil: new Date(Date.now() - 1) } })
    t.equal(await world.app.alipayplus.reconcileNow(), 1, 'expired lease: taken over')
  })

  t.test('two instances on one database: one transition per order, one inquiry per order per lease', async (t) => {
    // A generous inquiry timeout: on a loaded machine (and with PGlite, the simulator and both
    // apps on one event loop) a 1 s timeout would make the lease holder inquire again, which
    // is allowed but is not what this test counts.
    const patient = { requestTimeoutMs: 15_000 }
    const world = await buildWorld(t, { backend, app: patient })
    const second = await world.addApp(patient)
    const orderNos = Array.from({ length: ORDERS }, (_, i) => `pair-${i}`)
    for (const orderNo of orderNos) {
      await world.order(orderNo)
      world.sim.completePayment(orderNo, { status: 'SUCCESS', notify: false })
    }
    const results = await Promise.all(
      orderNos.flatMap((orderNo) => [world.app.awaitPaymentResult(orderNo), second.awaitPaymentResult(orderNo)]),
    )
    t.ok(results.every((r) => r.status === 'SUCCESS' && r.final))
    const trail = await settledAudit(world.prisma, orderNos)
    t.same([trail.leftInit, trail.badFinalEvents, trail.unexplained], [0, [], 0], 'each order decided by one event of its own')
    const perOrder = world.sim.stats().inquiries.byPayment
    t.ok(orderNos.every((orderNo) => perOrder[orderNo] === 1), 'the lease kept the second instance from inquiring')
  })

  t.test('a lease holds from one tick to the next, and is let go when the loop ends', async (t) => {
    // Waits (1 s) longer than leaseMarginMs (0.5 s): a lease that lasted leaseMarginMs from each claim
    // would lapse between two ticks and the other instance's reconciler would take the order.
    const polling = { minTimeoutMs: 1_000, maxTimeoutMs: 1_000, factor: 1, randomize: false, maxRetryTimeMs: 60_000 }
    const schedule = { leaseMarginMs: 500, requestTimeoutMs: 15_000, polling }
    const world = await buildWorld(t, { backend, app: schedule })
    await world.order('held-1')
    const windowEnds = Date.now() + 3_500
    const window = world.app.awaitPaymentResult('held-1', { timeoutMs: 3_500 })
    await until(() => world.sim.stats().inquiries.received >= 1)
    // The other instance's reconciler looks for it every 50 ms, at any age, until well before
    // the window ends (then the lease is let go, and taking the order is right; a pass on a
    // loaded machine may take a while).
    const second = await world.addApp({ ...schedule, reconcile: { intervalMs: 60_000, minAgeMs: 0 } })
    let taken = 0
    while (Date.now() < windowEnds - 1_500) {
      taken += await second.alipayplus.reconcileNow()
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const result = await window
    t.equal(result.final, false, 'the window ended without a result')
    t.equal(taken, 0, "the second instance's reconciler never took the order")
    t.equal(second.alipayplus.stats().inquiries, 0, 'nor inquired about it')
    t.ok(world.app.alipayplus.stats().inquiries >= 3, 'the first instance polled it through its window')
    // Not "the simulator's count equals the first instance's": the window's end aborts an
    // inquiry in flight, which the simulator counted and the instance never got an answer to.
    t.equal(second.alipayplus.stats().loopsStarted, 0, 'the second instance never started polling it')

    // The loop is over: its lease is let go (the loop's last step), not left to lapse: a lapsed
    // lease keeps its owner and time, a released one has neither.
    await until(() => world.app.alipayplus.stats().activeLoops === 0)
    const leaseOf = async () => {
      const order = await world.prisma.paymentOrder.findUniqueOrThrow({ where: { orderNo: 'held-1' } })
      return [order.leaseOwner, order.leaseUntil]
    }
    await until(async () => (await leaseOf())[0] === null)
    t.same(await leaseOf(), [null, null], 'lease released')
    world.sim.completePayment('held-1', { status: 'SUCCESS', notify: false })
    t.equal(await second.alipayplus.reconcileNow(), 1, "the second instance's reconciler takes it")
    await until(async () => (await world.store.getOrder('held-1'))?.status === 'SUCCESS')
    t.ok(second.alipayplus.stats().inquiries >= 1, 'and finalizes it')
  })

  t.test('notifications and inquiries racing across two instances: still one transition', async (t) => {
    const world = await buildWorld(t, { backend, faults: { notifyDuplicateRate: 1 } })
    const second = await world.addApp({ leaseMarginMs: 1 })
    const orderNos = Array.from({ length: ORDERS }, (_, i) => `mixed-${i}`)
    for (const orderNo of orderNos) await world.order(orderNo)
    const waiting = orderNos.flatMap((orderNo) => [world.app.awaitPaymentResult(orderNo), second.awaitPaymentResult(orderNo)])
    for (const orderNo of orderNos) world.sim.completePayment(orderNo, { status: 'SUCCESS' })
    const results = await Promise.all(waiting)
    t.ok(results.every((r) => r.status === 'SUCCESS'))
    await world.sim.waitForIdle()
    const trail = await settledAudit(world.prisma, orderNos)
    t.same([trail.leftInit, trail.badFinalEvents, trail.unexplained], [0, [], 0], 'each order decided by one event of its own, with its source')
  })
})
