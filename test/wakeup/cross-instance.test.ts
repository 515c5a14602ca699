// A result recorded on one instance wakes awaitPaymentResult on the others: PostgreSQL
// LISTEN/NOTIFY, MariaDB with Redis pub/sub, and SQLite with the database poll. Instance B
// answers every notification; A (and C) await with polling ticks ten minutes apart, so their
// waiters resolve only if the wake-up works.
import t from 'tap'
import { needsServer } from '../helpers/databases.js'
import { buildInstances, SETUPS, withinPatience } from '../helpers/wakeup.js'
import { until } from '../helpers/world.js'

const ORDERS = 20

t.setTimeout(600_000)

for (const setup of SETUPS) {
  const server = setup.backend.server
  const skip = (server && (await needsServer(server)).skip) ?? (setup.needsRedis ? (await needsServer('redis')).skip : undefined)
  t.test(setup.label, { skip }, async (t) => {
    for (const count of [2, 3]) {
      t.test(`${count} instances: a notification answered by B wakes the waiters on the others`, async (t) => {
        const { world, instances } = await buildInstances(t, count, setup.backend, setup.wakeup)
        const [a, b, c] = instances
        const orderNos = Array.from({ length: ORDERS }, (_, i) => `wake-${count}-${i}`)
        for (const orderNo of orderNos) await world.order(orderNo)

        const onA = orderNos.map((orderNo) => a!.awaitPaymentResult(orderNo))
        // A's first tick for each order: one inquiry, still processing, lease taken.
        await until(() => a!.alipayplus.stats().inquiries === ORDERS)
        const onC = c ? orderNos.map((orderNo) => c.awaitPaymentResult(orderNo)) : []
        if (c) await until(() => c.alipayplus.stats().activeLoops === ORDERS)

        for (const [i, orderNo] of orderNos.entries()) world.sim.completePayment(orderNo, { status: i % 5 === 0 ? 'FAIL' : 'SUCCESS', notify: true })
        const results = await withinPatience(Promise.all([...onA, ...onC]), 'the waiters on A and C')

        t.same(
          results.map((r) => [r.orderNo, r.status, r.source]),
          [...orderNos, ...(c ? orderNos : [])].map((orderNo) => [orderNo, Number(orderNo.split('-')[2]) % 5 === 0 ? 'FAIL' : 'SUCCESS', 'notify']),
          'every waiter got the result B recorded from the notification',
        )
        t.equal(a!.alipayplus.stats().inquiries, ORDERS, 'A made no inquiry after its first tick: the wake-up ended its loops')
        t.equal(b!.alipayplus.stats().inquiries, 0, 'B only answered notifications')
        if (c) t.equal(c.alipayplus.stats().inquiries, 0, 'C never inquired: A held the lease')
        // C's loops wait for A's lease to lapse; the wake-up aborts that wait, and they stop soon
        // after their waiters have the result.
        await until(() => instances.every((instance) => instance.alipayplus.stats().activeLoops === 0))
        for (const instance of instances) t.equal(instance.alipayplus.stats().activeLoops, 0, 'no loop left polling')
        t.equal(await world.prisma.paymentOrder.count({ where: { orderNo: { in: orderNos }, resultSource: 'notify' } }), ORDERS)
      })
    }
  })
}
