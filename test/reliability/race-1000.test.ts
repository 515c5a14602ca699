// 1,000 orders, each with 3 notifications (2 duplicates) spread over two app instances that
// are both polling it, on one PostgreSQL database: exactly one transition per order, nothing
// lost, nothing overwritten.
import t from 'tap'
import { signedNotify, notifyBody } from '../helpers/notify-request.js'
import { alipayKeys, buildWorld } from '../helpers/world.js'

const ORDERS = 1_000
const NOTIFICATIONS = 3

t.test('1,000 orders x (3 notifications + pollers in 2 instances)', async (t) => {
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

  const waiters = orderNos.flatMap((orderNo) => apps.map((app) => app.awaitPaymentResult(orderNo)))
  const notifies = requests.flatMap((request, i) =>
    Array.from({ length: NOTIFICATIONS }, (_, k) => apps[(i + k) % 2]!.inject(request)),
  )
  const [results, answers] = await Promise.all([Promise.all(waiters), Promise.all(notifies)])

  t.equal(answers.filter((a) => a.statusCode === 200 && a.json().result.resultStatus === 'S').length, ORDERS * NOTIFICATIONS, 'every notification acknowledged')
  t.ok(results.every((r) => r.final && r.status === truth.get(r.orderNo)), 'every waiter got the true final result')

  const orders = await world.prisma.paymentOrder.findMany({ where: { orderNo: { in: orderNos } } })
  const applied = await world.prisma.paymentEvent.findMany({ where: { applied: true } })
  const appliedByOrder = new Map<string, string[]>()
  for (const e of applied) appliedByOrder.set(e.orderNo, [...(appliedByOrder.get(e.orderNo) ?? []), e.id])
  t.equal(orders.filter((o) => o.status === 'init').length, 0, '0 left init')
  t.equal(applied.length, ORDERS, 'one transition per order')
  t.ok(orderNos.every((orderNo) => appliedByOrder.get(orderNo)?.length === 1), 'never two for one order')
  t.ok(orders.every((o) => o.finalEventId === appliedByOrder.get(o.orderNo)?.[0]), 'each order holds its winning event: 0 overwritten')
  t.ok(orders.every((o) => o.status === truth.get(o.orderNo)), 'every stored result is the true one')
  const notifyEvents = await world.prisma.paymentEvent.count({ where: { source: 'notify' } })
  t.equal(notifyEvents, ORDERS * NOTIFICATIONS, 'every notification audited: 0 lost')
})
