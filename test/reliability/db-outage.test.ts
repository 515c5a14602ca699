// A real database outage during notifyPayment (every connection dropped, new ones refused):
// the answer is never an acknowledgement, and the redelivered notification is recorded once.
import t, { type Test } from 'tap'
import { needsServer, openClient } from '../helpers/databases.js'
import { OrderStore } from '../../src/store/order-store.js'
import { buildMerchantApp } from '../helpers/merchant-app.js'
import { notifyBody, signedNotify } from '../helpers/notify-request.js'
import { proxiedUrl } from '../helpers/tcp-proxy.js'
import { alipayKeys, buildWorld, merchantKeys, until, type World } from '../helpers/world.js'

// These run on PostgreSQL: skipped, saying why, where no server can be reached.
const PG = await needsServer('postgresql')

/** A second merchant app whose database connections go through a proxy the test can cut. */
async function appBehindProxy(t: Test, world: World) {
  const { proxy, url } = await proxiedUrl(t, world.databaseUrl!)
  const prisma = await openClient(t, 'postgresql', url)
  const { app } = await buildMerchantApp(t, { prisma, merchant: merchantKeys, alipay: alipayKeys, reconcile: false })
  return { proxy, app }
}

t.test('notify while the database is down, then redelivered', PG, async (t) => {
  const world = await buildWorld(t)
  const { proxy, app } = await appBehindProxy(t, world)
  const store = OrderStore.fromClient(world.prisma)

  await store.createOrder({ orderNo: 'outage-1', amount: { currency: 'USD', value: '100' } })
  const request = await signedNotify(alipayKeys.privateKey, notifyBody('outage-1'))
  t.equal((await app.inject(request)).statusCode, 200, 'warm: the pool has live connections')
  await store.createOrder({ orderNo: 'outage-2', amount: { currency: 'USD', value: '100' } })
  const second = await signedNotify(alipayKeys.privateKey, notifyBody('outage-2'))

  proxy.cut()
  for (let i = 0; i < 3; i++) {
    const response = await app.inject(second)
    t.equal(response.statusCode, 503, `attempt ${i + 1} during the outage`)
    t.equal(response.json().result.resultStatus, 'U', 'never S while nothing is recorded')
  }
  t.equal((await store.getOrder('outage-2'))?.status, 'init')

  proxy.restore()
  await until(async () => (await app.inject(second)).statusCode === 200)
  t.equal((await app.inject(second)).statusCode, 200, 'a further duplicate is acknowledged too')
  t.equal((await store.getOrder('outage-2'))?.status, 'SUCCESS')
  t.same((await world.store.listEvents('outage-2')).filter((e) => e.applied).length, 1, 'recorded once')
})

t.test('the simulator redelivers through an outage until the result is recorded', PG, async (t) => {
  // Redeliveries for several seconds, so that the last ones come after the database is back.
  const world = await buildWorld(t, { listen: false, redeliveryScheduleMs: [0, 50, 100, 200, 400, 800, 1_600, 3_200] })
  const { proxy, app } = await appBehindProxy(t, world)
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  world.sim.setNotifyUrl(`${url}/alipayplus/notifyPayment`)

  await world.order('outage-3')
  proxy.cut()
  world.sim.completePayment('outage-3', { status: 'SUCCESS' })
  await until(() => (world.sim.stats().notifications.byPayment['outage-3']?.attempts ?? 0) >= 2)
  t.equal(world.sim.stats().notifications.acknowledged, 0, 'not acknowledged during the outage')
  proxy.restore()
  t.equal(await world.sim.waitForDelivered('outage-3'), 'acknowledged')
  t.equal((await world.store.getOrder('outage-3'))?.status, 'SUCCESS')
  t.equal((await world.store.listEvents('outage-3')).filter((e) => e.applied).length, 1)
})
