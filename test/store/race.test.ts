// 200 orders x 20 concurrent, conflicting transition attempts, all at once, through the
// driver adapter's default pool: exactly one winner per order, one applied event per order,
// every attempt audited, and the stored result is the winner's.
import t from 'tap'
import { OrderStore } from '../../src/store/order-store.js'
import { audit } from '../helpers/audit.js'
import { forEachBackend } from '../helpers/databases.js'

// Four databases, 4,000 attempts each: more than tap's default 180 s on a loaded 2-core machine.
t.setTimeout(900_000)

const ORDERS = 200
const ATTEMPTS = 20

await forEachBackend(t, async (t, backend) => {
  const { prisma } = await backend.open(t)
  const store = OrderStore.fromClient(prisma)
  const orderNos = Array.from({ length: ORDERS }, (_, i) => `race-${i}`)
  await prisma.paymentOrder.createMany({ data: orderNos.map((orderNo) => ({ orderNo, amount: '500', currency: 'HKD' })) })

  const attempts = orderNos.flatMap((orderNo) =>
    Array.from({ length: ATTEMPTS }, (_, i) => {
      const success = i % 2 === 0
      return store.recordResult({
        orderNo,
        source: i % 3 === 0 ? 'notify' : 'inquiry',
        status: success ? 'SUCCESS' : 'FAIL',
        resultCode: success ? 'SUCCESS' : 'ORDER_IS_CLOSED',
        paymentId: `pay-${orderNo}-${i}`,
        paymentAmount: { currency: 'HKD', value: '500' },
        payload: { attempt: i },
      })
    }),
  )
  const outcomes = await Promise.all(attempts)

  const winners = new Map<string, number>()
  for (const [index, outcome] of outcomes.entries()) {
    const orderNo = orderNos[Math.floor(index / ATTEMPTS)]!
    if (outcome.applied) winners.set(orderNo, (winners.get(orderNo) ?? 0) + 1)
    else if (!['already_final', 'conflicting_result'].includes(outcome.reason ?? '')) t.fail(`unexpected reason ${outcome.reason}`)
  }
  t.ok(
    outcomes.every((o) => o.order.status !== 'init' && o.order.finalEventId !== null),
    'every attempt, winner or loser, reports the stored final result',
  )
  t.equal(winners.size, ORDERS, 'every order has a winner')
  t.ok([...winners.values()].every((n) => n === 1), 'exactly one winner per order')

  const orders = await prisma.paymentOrder.findMany({ where: { orderNo: { in: orderNos } } })
  t.ok(orders.every((o) => o.status !== 'init' && o.finalEventId !== null), 'no order left init')

  const trail = await audit(prisma, orderNos)
  t.equal(trail.events.length, ORDERS * ATTEMPTS, 'every attempt recorded')
  t.same(trail.badFinalEvents, [], "each order took its deciding event's result")
  t.equal(trail.unexplained, 0, 'every other event says why it did not apply')
  const winningEvents = new Set(outcomes.filter((o) => o.applied).map((o) => o.eventId))
  t.ok(orders.every((o) => winningEvents.has(o.finalEventId!)), 'the event each order names is the one whose call won')

  // A final status never changes again: one more round of conflicting attempts changes nothing.
  const before = new Map(orders.map((o) => [o.orderNo, `${o.status}/${o.paymentId}`]))
  const late = await Promise.all(
    orderNos.map((orderNo) => store.recordResult({ orderNo, source: 'notify', status: 'FAIL', payload: {} })),
  )
  t.ok(late.every((o) => !o.applied), 'no late attempt applied')
  const after = await prisma.paymentOrder.findMany({ where: { orderNo: { in: orderNos } } })
  t.ok(after.every((o) => before.get(o.orderNo) === `${o.status}/${o.paymentId}`), 'final results unchanged')
})
