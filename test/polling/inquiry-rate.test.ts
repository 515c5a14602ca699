// Inquiry rate: Alipay+'s traffic limits are per second, so no 1-second window at Alipay+ holds
// more than maxInquiriesPerSecond starts, and the orders still all finish; and the reconciler's
// backlog never starves an order the application awaits. Counted at the simulator, in the order
// and at the times the inquiries arrived. The cap does not depend on the database: PostgreSQL.
import t from 'tap'
import { BACKENDS, forEachBackend } from '../helpers/databases.js'
import { buildWorld, until } from '../helpers/world.js'

const CAP = 5

/** The most arrivals in any window [at, at + 1000 ms) that starts at an arrival. */
function busiestSecond(arrivals: Array<{ at: number }>): number {
  const times = arrivals.map((arrival) => arrival.at).sort((a, b) => a - b)
  let busiest = 0
  for (const [i, start] of times.entries()) {
    let j = i
    while (j < times.length && times[j]! < start + 1_000) j++
    busiest = Math.max(busiest, j - i)
  }
  return busiest
}

t.setTimeout(300_000)

await forEachBackend(
  t,
  async (t, backend) => {
    t.test('no 1-second window holds more than maxInquiriesPerSecond inquiries, and every order finishes', async (t) => {
      // Each order needs two inquiries: the first answers in process.
      const world = await buildWorld(t, { backend, app: { maxInquiriesPerSecond: CAP }, faults: { inquiryInProcessFirstN: 1 } })
      const orderNos = Array.from({ length: 4 * CAP }, (_, i) => `paced-${i}`)
      for (const orderNo of orderNos) {
        await world.order(orderNo)
        world.sim.completePayment(orderNo, { status: 'SUCCESS', notify: false })
      }
      const results = await Promise.all(orderNos.map((orderNo) => world.app.awaitPaymentResult(orderNo)))
      t.ok(results.every((r) => r.final && r.status === 'SUCCESS'), 'every order finished')
      const arrivals = world.sim.inquiryArrivals()
      t.ok(arrivals.length >= 2 * orderNos.length, 'two inquiries per order at least')
      t.ok(busiestSecond(arrivals) <= CAP, `at most ${CAP} inquiries in any second (busiest: ${busiestSecond(arrivals)})`)
    })

    t.test("the reconciler's backlog never starves an order someone awaits", async (t) => {
      // One inquiry at a time, CAP a second: the reconciler's orders queue for seconds.
      const world = await buildWorld(t, {
        backend,
        app: { maxConcurrentInquiries: 1, maxInquiriesPerSecond: CAP, reconcile: { intervalMs: 60_000, minAgeMs: 0 } },
      })
      const backlog = Array.from({ length: 6 * CAP }, (_, i) => `backlog-${i}`)
      // The pass at start (minAgeMs 0) is over before the backlog exists: the pass below takes it all.
      await world.app.alipayplus.reconcileNow()
      for (const orderNo of backlog) await world.order(orderNo)
      t.equal(await world.app.alipayplus.reconcileNow(), backlog.length, 'the reconciler drives the backlog')
      await until(() => world.sim.inquiryArrivals().length >= 2)

      /**
       * Awaits `orderNo` until its first inquiry: how many inquiries arrived between the call
       * and that one, and how many backlog orders had never been asked about by then.
       */
      const overtaken = async (orderNo: string) => {
        const before = world.sim.inquiryArrivals().length
        const stop = new AbortController()
        void world.app.awaitPaymentResult(orderNo, { signal: stop.signal }).catch(() => {})
        await until(() => world.sim.inquiryArrivals().some((arrival) => arrival.paymentRequestId === orderNo))
        // Its next ticks would compete with the next phase's order.
        stop.abort()
        const arrivals = world.sim.inquiryArrivals()
        const position = arrivals.findIndex((arrival) => arrival.paymentRequestId === orderNo)
        const askedBefore = new Set(arrivals.slice(0, position).map((arrival) => arrival.paymentRequestId))
        return { ahead: position - before, neverAsked: backlog.filter((no) => no !== orderNo && !askedBefore.has(no)).length }
      }

      // A new order the application awaits: served next, however long the backlog.
      await world.order('awaited-new')
      const fresh = await overtaken('awaited-new')
      // Ahead of it at most: the inquiry in flight, and one that took the slot meanwhile.
      t.ok(fresh.ahead <= 2, `asked after at most 2 other inquiries (${fresh.ahead})`)
      t.ok(fresh.neverAsked >= 3 * CAP, `ahead of the queued backlog (${fresh.neverAsked} never asked yet)`)

      // An order of the backlog the application starts awaiting: its queued loop moves ahead.
      const queued = backlog.findLast((no) => !world.sim.inquiryArrivals().some((arrival) => arrival.paymentRequestId === no))!
      const joined = await overtaken(queued)
      t.ok(joined.ahead <= 2, `a queued reconciler order joined by the application is asked next (${joined.ahead})`)
      t.ok(joined.neverAsked >= CAP, `ahead of the rest of the backlog (${joined.neverAsked} never asked yet)`)
    })

    t.test("a lease holds while its order waits for its turn under the cap: the other instance's reconciler leaves it", async (t) => {
      // Turns about 3 s apart (6 orders, 2 a second); without the turn in it a lease would last
      // 1 s + the schedule's 0.1 s. A margin of 1 s, not less: a loaded machine stalls timers.
      const world = await buildWorld(t, { backend, app: { maxInquiriesPerSecond: 2, leaseMarginMs: 1_000, requestTimeoutMs: 15_000 } })
      const orderNos = Array.from({ length: 6 }, (_, i) => `turn-${i}`)
      for (const orderNo of orderNos) await world.order(orderNo)
      const results = Promise.all(orderNos.map((orderNo) => world.app.awaitPaymentResult(orderNo)))
      // Once each order has had its first turn (and so its lease), the other instance looks.
      await until(() => orderNos.every((orderNo) => (world.sim.stats().inquiries.byPayment[orderNo] ?? 0) >= 1))
      const second = await world.addApp({ reconcile: { intervalMs: 60_000, minAgeMs: 0 } })
      let taken = 0
      for (const end = Date.now() + 3_000; Date.now() < end;) {
        taken += await second.alipayplus.reconcileNow()
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      t.equal(taken, 0, "the second instance's reconciler took none of the queued orders")
      t.equal(second.alipayplus.stats().loopsStarted, 0, 'not even in its first pass, at start')
      for (const orderNo of orderNos) world.sim.completePayment(orderNo, { status: 'SUCCESS', notify: false })
      t.ok((await results).every((r) => r.status === 'SUCCESS'), 'the first instance finished them all')
      t.equal(second.alipayplus.stats().inquiries, 0, 'alone')
    })
  },
  BACKENDS.filter((backend) => backend.name === 'postgresql'),
)
