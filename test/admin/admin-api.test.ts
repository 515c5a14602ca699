// fastify.alipayplus.admin on real databases, with the simulator as Alipay+: the views and
// their keyset pages, an order's audit, and each repair done as an operator would, checked in
// the database and at the onPaymentResult handler.
import t from 'tap'
import { backendNamed, forEachBackend } from '../helpers/databases.js'
import { FAST_DELIVERY, RunLog } from '../helpers/delivery.js'
import { buildWorld, until } from '../helpers/world.js'

const HOUR = 3_600_000

await forEachBackend(
  t,
  async (t, backend) => {
    t.test('views, counts and keyset pages', async (t) => {
      const world = await buildWorld(t, { backend, app: { onPaymentResult: () => {}, delivery: FAST_DELIVERY, polling: { minTimeoutMs: HOUR, maxTimeoutMs: HOUR, factor: 1, randomize: false, maxRetryTimeMs: 100 } } })
      const { store, app } = world
      const admin = app.alipayplus.admin
      for (let i = 0; i < 7; i++) await store.createOrder({ orderNo: `v-${i}`, amount: { currency: 'USD', value: '100' } })
      await store.setAttention('v-0', 'amount_mismatch')
      await store.recordResult({ orderNo: 'v-1', source: 'notify', status: 'FAIL', resultCode: 'USER_BALANCE_NOT_ENOUGH', payload: '{"x":1}' })

      const seen: string[] = []
      let after: string | undefined
      do {
        const page = await admin.listOrders({ view: 'recent', limit: 2, ...(after ? { after } : {}) })
        t.ok(page.orders.length <= 2, 'a page holds at most limit orders')
        seen.push(...page.orders.map((order) => order.orderNo))
        after = page.next ?? undefined
      } while (after !== undefined)
      t.same([...seen].sort(), ['v-0', 'v-1', 'v-2', 'v-3', 'v-4', 'v-5', 'v-6'], 'the pages hold every order exactly once')
      const created = await Promise.all(seen.map(async (orderNo) => (await store.getOrder(orderNo))!.createdAt.getTime()))
      t.same(created, [...created].sort((a, b) => b - a), 'recent: newest first')

      t.same((await admin.listOrders({ view: 'attention' })).orders.map((o) => o.orderNo), ['v-0'])
      // The window is 100 ms: every init order not left to a human is stuck once it has passed.
      await until(async () => (await admin.listOrders({ view: 'stuck' })).orders.length === 5)
      const counts = await admin.countOrders()
      t.same(counts, { attention: 1, undelivered: counts.undelivered, delivery_exhausted: 0, stuck: 5, recent: 7 })
      t.ok(counts.undelivered <= 1, 'the FAIL result is undelivered until its handler ran')

      await t.rejects(admin.listOrders({ view: 'everything' as never }), { code: 'FST_ALIPAYPLUS_ADMIN_INPUT', statusCode: 400 })
      await t.rejects(admin.listOrders({ view: 'recent', limit: 0 }), { code: 'FST_ALIPAYPLUS_ADMIN_INPUT' })
      await t.rejects(admin.listOrders({ view: 'recent', after: 'not-a-cursor' }), { code: 'FST_ALIPAYPLUS_ADMIN_INPUT' })
      await t.rejects(admin.getOrder('nope'), { code: 'FST_ALIPAYPLUS_UNKNOWN_ORDER' })
    })

    t.test('retryDelivery and redeliver: the same idempotency key, context.manual, who did it in the log', async (t) => {
      const runs = new RunLog()
      const manual: boolean[] = []
      let works = false
      const world = await buildWorld(t, {
        backend,
        // A failed run is retried an hour later: only the operator's retry runs it sooner.
        app: {
          onPaymentResult: runs.handler('a', (_result, context) => {
            manual.push(context.manual)
            if (!works) throw new Error('the shop database is down')
          }),
          delivery: { ...FAST_DELIVERY, minTimeoutMs: HOUR, maxTimeoutMs: HOUR },
        },
      })
      const { store, app } = world
      const admin = app.alipayplus.admin
      await store.createOrder({ orderNo: 'd-1', amount: { currency: 'USD', value: '100' } })
      await store.recordResult({ orderNo: 'd-1', source: 'notify', status: 'SUCCESS', paymentAmount: { currency: 'USD', value: '100' }, payload: '{"n":1}' })
      await until(async () => (await store.getOrder('d-1'))!.deliveryError !== null)
      t.same((await admin.listOrders({ view: 'undelivered' })).orders.map((o) => o.orderNo), ['d-1'], 'a failing result is listed undelivered')

      works = true
      const retried = await admin.retryDelivery('d-1', { by: 'alice' })
      t.equal(retried.changed, true)
      await until(async () => (await store.getOrder('d-1'))!.deliveredAt !== null)
      const [first, second] = runs.of('d-1')
      t.equal(runs.of('d-1').length, 2, 'one failed run, then the operator\'s')
      t.equal(second!.idempotencyKey, first!.idempotencyKey, 'the same idempotency key')
      t.same(manual, [false, true], 'the handler can tell the operator\'s run')
      const delivered = (await store.getOrder('d-1'))!
      t.equal(delivered.deliveryRequestedBy, null, 'the request is cleared once delivered')

      t.match(await admin.retryDelivery('d-1', { by: 'alice' }), { changed: false, reason: /not an undelivered/ }, 'a delivered result needs redeliver, not retry')
      const again = await admin.redeliver('d-1', { by: 'bob' })
      t.equal(again.changed, true)
      await until(() => runs.of('d-1').length === 3 && manual.length === 3)
      await until(async () => (await store.getOrder('d-1'))!.deliveredAt !== null)
      t.equal(runs.of('d-1')[2]!.idempotencyKey, first!.idempotencyKey, 'redelivered with the same key')
      t.same(manual, [false, true, true])
      t.match(await admin.redeliver('nope', { by: 'bob' }).catch((e: unknown) => e), { code: 'FST_ALIPAYPLUS_UNKNOWN_ORDER' })
      await t.rejects(admin.redeliver('d-1', { by: '' }), { code: 'FST_ALIPAYPLUS_ADMIN_INPUT' }, 'who did it is required')
    })

    t.test('a dead letter: listed in delivery_exhausted, delivered by retryDelivery with the same key', async (t) => {
      const runs = new RunLog()
      let works = false
      const world = await buildWorld(t, {
        backend,
        app: {
          onPaymentResult: runs.handler('a', () => {
            if (!works) throw new Error('the shop database is down')
          }),
          delivery: { ...FAST_DELIVERY, retries: 0 },
        },
      })
      const { store, app } = world
      const admin = app.alipayplus.admin
      await store.createOrder({ orderNo: 'x-1', amount: { currency: 'USD', value: '100' } })
      await store.recordResult({ orderNo: 'x-1', source: 'notify', status: 'FAIL', resultCode: 'USER_BALANCE_NOT_ENOUGH', payload: '{"n":2}' })
      await until(async () => (await store.getOrder('x-1'))!.deliveryGaveUpAt !== null)
      t.same((await admin.listOrders({ view: 'delivery_exhausted' })).orders.map((o) => o.orderNo), ['x-1'], 'the dead letter is listed')
      t.same((await admin.listOrders({ view: 'undelivered' })).orders, [], 'and not as merely pending')
      t.match(await admin.countOrders(), { delivery_exhausted: 1, undelivered: 0 })
      works = true
      t.match(await admin.retryDelivery('x-1', { by: 'alice' }), { changed: true })
      await until(async () => (await store.getOrder('x-1'))!.deliveredAt !== null)
      const keys = runs.of('x-1').map((run) => run.idempotencyKey)
      t.equal(keys.length, 2, 'the failed run, then the operator\'s')
      t.equal(keys[1], keys[0], 'with the same idempotency key')
      t.match(await admin.countOrders(), { delivery_exhausted: 0, undelivered: 0 })
    })

    t.test('resolve: an operator\'s result through the same transition, audited as manual, delivered and waking waiters', async (t) => {
      const runs = new RunLog()
      const world = await buildWorld(t, { backend, app: { onPaymentResult: runs.handler('a'), delivery: FAST_DELIVERY, polling: { minTimeoutMs: HOUR, maxTimeoutMs: HOUR, factor: 1, randomize: false, maxRetryTimeMs: 2 * HOUR } } })
      const { app } = world
      const admin = app.alipayplus.admin
      await world.order('r-1')
      const waiter = app.awaitPaymentResult('r-1')
      await t.rejects(admin.resolve('r-1', { status: 'SUCCESS', note: ' ', by: 'carol' }), { code: 'FST_ALIPAYPLUS_ADMIN_INPUT' }, 'a note is required')
      const resolved = await admin.resolve('r-1', { status: 'SUCCESS', note: 'paid per the wallet statement', by: 'carol' })
      t.match(resolved, { changed: true, reason: null, order: { status: 'SUCCESS', resultSource: 'manual', resultCode: 'MANUAL_SUCCESS' } })
      t.match(await waiter, { status: 'SUCCESS', source: 'manual', final: true }, 'the waiter wakes')
      await until(() => runs.of('r-1').length === 1)
      const { events } = await admin.getOrder('r-1')
      const decided = events.find((event) => event.applied)
      t.match(decided, { source: 'manual', resultStatus: 'S' })
      t.match(JSON.parse(decided!.payload), { manual: { status: 'SUCCESS', note: 'paid per the wallet statement', by: 'carol' } })

      t.match(await admin.resolve('r-1', { status: 'SUCCESS', note: 'again', by: 'carol' }), { changed: false, reason: 'already_final' }, 'idempotent')
      t.match(await admin.resolve('r-1', { status: 'FAIL', note: 'wrong', by: 'dave' }), { changed: false, reason: 'conflicting_result', order: { status: 'SUCCESS' } }, 'the first final result stays')
    })

    t.test('reinquire: attention cleared, the order polled now and its result recorded', async (t) => {
      const world = await buildWorld(t, { backend })
      const { store, app, sim } = world
      const admin = app.alipayplus.admin
      await world.order('q-1')
      await store.setAttention('q-1', 'cancel_refused')
      sim.completePayment('q-1', { status: 'SUCCESS', notify: false })
      const outcome = await admin.reinquire('q-1', { by: 'erin' })
      t.match(outcome, { changed: true, order: { attention: null } })
      await until(async () => (await store.getOrder('q-1'))!.status === 'SUCCESS')
      t.equal((await store.getOrder('q-1'))!.resultSource, 'inquiry')
      t.match(await admin.reinquire('q-1', { by: 'erin' }), { changed: false, reason: 'already final' })
    })
  },
  [backendNamed('postgresql'), backendNamed('sqlite')],
)
