// 1,000 orders, each with 3 notifications (2 duplicates) spread over two app instances that
// are both polling it, on one PostgreSQL database: exactly one transition per order, nothing
// lost, nothing overwritten.
import t from 'tap'
import { needsServer } from '../helpers/databases.js'
import { settledAudit } from '../helpers/audit.js'
import { signedNotify, notifyBody } from '../helpers/notify-request.js'
import { alipayKeys, buildWorld } from '../helpers/world.js'

// These run on PostgreSQL: skipped, saying why, where no server can be reached.
const PG = await needsServer('postgresql')

// 3,000 notifications and 2,000 waiters: more than tap's default 180 s on a loaded machine.
t.setTimeout(900_000)

const ORDERS = 1_000
const NOTIFICATIONS = 3

t.test('1,000 orders x (3 notifications + pollers in 2 instances)', PG, async (t) => {
  const world = await buildWorld(t, { listen: false })
  const second = await world.addApp()
  const apps = [world.app, second]
  const orderNos = Array.from({ length: ORDERS }, (_, i) => `r1k-${i}`)
  const truth = new Map<string, 'SUCCESS' | 'FAIL'>()
  for (const [i, orderNo] of orderNos.entries()) {
    await world.order(orderNo)
    const status = i % 10 === 0 ? 'FAIL' : 'SUCCESS'
    truth.set(orderNo, status)
    // Alipay+ knows the result (inquiries find it); its notifications are ours to send below.
    world.sim.completePayment(orderNo, { status, notify: false })
  }
  const bodies = orderNos.map((orderNo) =>
    truth.get(orderNo) === 'SUCCESS'
      ? notifyBody(orderNo)
      : notifyBody(orderNo, { paymentResult: { resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' }, paymentAmount: undefined }),
  )
  const requests = await Promise.all(bodies.map((body) => signedNotify(alipayKeys.privateKey, body)))

  // A window far longer than the run, so that a loaded machine cannot end a waiter's window
  // before the notifications are through: this test counts results, not speed.
  const waiters = orderNos.flatMap((orderNo) => apps.map((app) => app.awaitPaymentResult(orderNo, { timeoutMs: 900_000 })))
  const notifies = requests.flatMap((request, i) =>
    Array.from({ length: NOTIFICATIONS }, (_, k) => apps[(i + k) % 2]!.inject(request)),
  )
  const [results, answers] = await Promise.all([Promise.all(waiters), Promise.all(notifies)])

  t.equal(answers.filter((a) => a.statusCode === 200 && a.json().result.resultStatus === 'S').length, ORDERS * NOTIFICATIONS, 'every notification acknowledged')
  t.ok(results.every((r) => r.final && r.status === truth.get(r.orderNo)), 'every waiter got the true final result')

  const trail = await settledAudit(world.prisma, orderNos)
  t.equal(trail.leftInit, 0, '0 left init')
  t.same(trail.badFinalEvents, [], 'each order holds the event that decided it')
  t.equal(trail.unexplained, 0, 'every other event says why it did not apply')
  t.ok(trail.orders.every((o) => o.status === truth.get(o.orderNo)), 'every stored result is the true one')
  const notifyDeliveries = trail.events.filter((e) => e.source === 'notify').reduce((sum, e) => sum + e.deliveries, 0)
  t.equal(notifyDeliveries, ORDERS * NOTIFICATIONS, 'every notification audited: 0 lost')
})
