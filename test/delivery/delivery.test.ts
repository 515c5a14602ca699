// onPaymentResult: every final result reaches the application, durably, once in the normal
// case, whatever finalized it and whichever instance; failures are retried from the database;
// a slow handler never holds up a notify answer.
import t from 'tap'
import { OrderStore } from '../../src/store/order-store.js'
import { BACKENDS, forEachBackend, freshPostgres, needsServer } from '../helpers/databases.js'
import { FAST_DELIVERY, gate, RunLog, untilAborted } from '../helpers/delivery.js'
import { buildMerchantApp } from '../helpers/merchant-app.js'
import { notifyBody, NOTIFY_PATH, signedNotify } from '../helpers/notify-request.js'
import { alipayKeys, buildWorld, merchantKeys, until } from '../helpers/world.js'

const PG = await needsServer('postgresql')
const AMOUNT = { currency: 'USD', value: '100' }

await forEachBackend(
  t,
  async (t, backend) => {
    t.test('a notification on instance B while A waits: the handler runs once across both', async (t) => {
      const log = new RunLog()
      // Inquiries never settle anything here: only B's notifications finalize.
      const world = await buildWorld(t, {
        backend,
        listen: false,
        faults: { inquiryInProcessRate: 1 },
        app: { onPaymentResult: log.handler('A'), delivery: FAST_DELIVERY },
      })
      const b = await world.addApp({ onPaymentResult: log.handler('B') })
      world.sim.setNotifyUrl(`${await b.listen({ port: 0, host: '127.0.0.1' })}${NOTIFY_PATH}`)

      const orderNos = Array.from({ length: 20 }, (_, i) => `two-${i}`)
      for (const orderNo of orderNos) await world.order(orderNo)
      const waiting = orderNos.map((orderNo) => world.app.awaitPaymentResult(orderNo))
      for (const [i, orderNo] of orderNos.entries()) world.sim.completePayment(orderNo, { status: i % 5 ? 'SUCCESS' : 'FAIL' })
      const results = await Promise.all(waiting)
      t.ok(results.every((result) => result.final), 'A saw every result')

      await until(async () => (await world.prisma.paymentOrder.count({ where: { deliveredAt: { not: null } } })) === orderNos.length)
      // Sweeps on both instances go on meanwhile: give them a few passes to run anything twice.
      for (let i = 0; i < 3; i++) await Promise.all([world.app.alipayplus.sweepDeliveries(), b.alipayplus.sweepDeliveries()])
      t.same(log.notExactlyOnce(orderNos), [], 'every order handled exactly once across both instances')
      const orders = await world.prisma.paymentOrder.findMany({ where: { orderNo: { in: orderNos } } })
      t.ok(orders.every((o) => o.resultSource === 'notify'), 'all finalized by B\'s notifications')
      t.ok(orders.every((o) => o.deliveryAttempts === 1 && o.deliveryOwner === null && o.deliveryError === null))
      for (const order of orders) {
        const [run] = log.of(order.orderNo)
        t.equal(run?.idempotencyKey, `${order.orderNo}:${order.finalEventId}`, 'the key names the deciding event')
        t.equal(run?.status, order.status)
      }
      t.same(await world.store.findUndelivered(), [], 'nothing left undelivered')
    })

    t.test('a final order without its deciding event (finalized with SQL) is delivered from the order row', async (t) => {
      const { prisma } = await backend.open(t)
      const store = OrderStore.fromClient(prisma)
      await store.createOrder({ orderNo: 'by-hand-1', amount: AMOUNT })
      // What an operator's UPDATE leaves: final, with no event behind it (finalEventId NULL).
      await prisma.paymentOrder.updateMany({
        where: { orderNo: 'by-hand-1' },
        data: { status: 'SUCCESS', resultSource: 'manual', paymentId: 'PAY-by-hand', finalizedAt: new Date() },
      })
      const log = new RunLog()
      const { logs } = await buildMerchantApp(t, {
        prisma,
        merchant: merchantKeys,
        alipay: alipayKeys,
        onPaymentResult: log.handler('A'),
        delivery: FAST_DELIVERY,
      })
      await until(async () => (await store.getOrder('by-hand-1'))?.deliveredAt != null)
      const runs = log.of('by-hand-1').map((run) => [run.status, run.idempotencyKey, run.attempt])
      t.same(runs, [['SUCCESS', 'by-hand-1:SUCCESS', 1]], 'run once, from the row, keyed by its final status')
      t.ok(logs.some((line) => line.includes('without its deciding event')), 'and said so in the log')
    })
  },
  // Every database: the delivery claim and its bookkeeping are model-API updateMany calls.
  BACKENDS,
)

t.test('a failing handler is retried until it succeeds, the attempts counted in the database', PG, async (t) => {
  const log = new RunLog()
  const errorsSeen: Array<string | null> = []
  let readOrder: (orderNo: string) => Promise<{ deliveryError: string | null } | null> = async () => null
  const world = await buildWorld(t, {
    app: {
      delivery: FAST_DELIVERY,
      onPaymentResult: log.handler('A', async (result, context) => {
        errorsSeen.push((await readOrder(result.orderNo))?.deliveryError ?? null)
        if (context.attempt < 3) throw new Error(`downstream refused (attempt ${context.attempt})`)
      }),
    },
  })
  readOrder = (orderNo) => world.store.getOrder(orderNo)
  await world.order('retry-1')
  world.sim.completePayment('retry-1', { status: 'SUCCESS' })
  await until(async () => (await world.store.getOrder('retry-1'))?.deliveredAt != null)

  t.same(log.of('retry-1').map((run) => run.attempt), [1, 2, 3], 'three runs, numbered')
  t.equal(new Set(log.of('retry-1').map((run) => run.idempotencyKey)).size, 1, 'one idempotency key for all runs')
  t.same(errorsSeen, [null, 'Error: downstream refused (attempt 1)', 'Error: downstream refused (attempt 2)'], 'the last error is kept meanwhile')
  const order = await world.store.getOrder('retry-1')
  t.same([order?.deliveryAttempts, order?.deliveryError, order?.deliveryOwner], [3, null, null])
  t.same(world.app.alipayplus.deliveryStats(), { runs: 3, delivered: 1, failed: 2, queued: 0, running: 0 })
})

t.test('a handler that times out is aborted through its signal and retried', PG, async (t) => {
  const log = new RunLog()
  const reasons: string[] = []
  const world = await buildWorld(t, {
    app: {
      delivery: { ...FAST_DELIVERY, timeoutMs: 300 },
      onPaymentResult: log.handler('A', async (_result, { attempt, signal }) => {
        if (attempt > 1) return
        // Hangs until aborted: only the timeout can end this run.
        await untilAborted(signal, reasons)
      }),
    },
  })
  await world.order('slow-1')
  world.sim.completePayment('slow-1', { status: 'FAIL' })
  await until(async () => (await world.store.getOrder('slow-1'))?.deliveredAt != null)
  t.same(reasons, ['FST_ALIPAYPLUS_DELIVERY_TIMEOUT'], 'the first run was aborted by the timeout')
  t.same(log.of('slow-1').map((run) => run.attempt), [1, 2])
  const order = await world.store.getOrder('slow-1')
  t.same([order?.deliveryAttempts, order?.deliveryError], [2, null], 'two runs; the error cleared once delivered')
})

t.test('results finalized while no instance ran are delivered when one starts', PG, async (t) => {
  const { prisma } = await freshPostgres(t)
  const bare = OrderStore.fromClient(prisma)
  // More than one sweep batch, so that the sweep has to go back for the rest.
  const orderNos = Array.from({ length: 130 }, (_, i) => `offline-${i}`)
  for (const orderNo of orderNos) {
    await bare.createOrder({ orderNo, amount: AMOUNT })
    await bare.recordResult({
      orderNo,
      source: 'inquiry',
      status: 'FAIL',
      resultCode: 'ORDER_IS_CLOSED',
      payload: `{"paymentRequestId":"${orderNo}"}`,
    })
  }
  await bare.createOrder({ orderNo: 'still-init', amount: AMOUNT })
  t.equal((await bare.findUndelivered({ limit: 1000 })).length, orderNos.length, 'all listed undelivered, the init order not')

  const log = new RunLog()
  await buildMerchantApp(t, {
    prisma,
    merchant: merchantKeys,
    alipay: alipayKeys,
    onPaymentResult: log.handler('late'),
    delivery: { ...FAST_DELIVERY, sweepIntervalMs: 60_000, batchSize: 50 },
  })
  await until(async () => (await prisma.paymentOrder.count({ where: { deliveredAt: { not: null } } })) === orderNos.length)
  t.same(log.notExactlyOnce(orderNos), [])
  t.same(log.of('still-init'), [], 'an init order is never delivered')
  t.ok(log.runs.every((run) => run.status === 'FAIL' && run.attempt === 1))
})

t.test('a slow handler does not hold up the notify answers', PG, async (t) => {
  const log = new RunLog()
  const blocked = gate()
  let finished = 0
  const { prisma } = await freshPostgres(t)
  const { app } = await buildMerchantApp(t, {
    prisma,
    merchant: merchantKeys,
    alipay: alipayKeys,
    delivery: { ...FAST_DELIVERY, concurrency: 1 },
    onPaymentResult: log.handler('A', async () => {
      await blocked.promise
      finished++
    }),
  })
  for (const orderNo of ['slow-a', 'slow-b']) await app.alipayplus.store.createOrder({ orderNo, amount: AMOUNT })

  const first = await app.inject(await signedNotify(alipayKeys.privateKey, notifyBody('slow-a')))
  t.equal(first.statusCode, 200)
  await until(() => log.of('slow-a').length === 1)
  // The only slot is held by a handler that cannot finish: the next notification is still answered.
  const second = await app.inject(await signedNotify(alipayKeys.privateKey, notifyBody('slow-b')))
  t.equal(second.statusCode, 200)
  t.equal(JSON.parse(second.body).result.resultStatus, 'S', 'acknowledged')
  t.same([finished, log.of('slow-b').length], [0, 0], 'answered while the first handler is blocked and the second waits')

  blocked.open()
  await until(async () => (await prisma.paymentOrder.count({ where: { deliveredAt: { not: null } } })) === 2)
  t.equal(finished, 2)
})

t.test('close aborts a running handler and gives its claim back; another instance delivers it', PG, async (t) => {
  const log = new RunLog()
  const reasons: string[] = []
  const world = await buildWorld(t, {
    app: {
      delivery: FAST_DELIVERY,
      onPaymentResult: log.handler('A', (_result, { signal }) => untilAborted(signal, reasons)),
    },
  })
  await world.order('closing-1')
  world.sim.completePayment('closing-1', { status: 'SUCCESS' })
  await until(() => log.of('closing-1').length === 1)
  await world.app.close()
  t.same(reasons, ['FST_ALIPAYPLUS_DELIVERY_CLOSED'], 'the handler saw why')
  const released = await world.store.getOrder('closing-1')
  t.same(
    [released?.deliveredAt, released?.deliveryOwner, released?.deliveryAttempts, released?.deliveryDueAt != null],
    [null, null, 0, true],
    'claim given back, due at once, and the interrupted run does not count',
  )

  const b = await world.addApp({ onPaymentResult: log.handler('B') })
  await b.alipayplus.sweepDeliveries()
  await until(async () => (await world.store.getOrder('closing-1'))?.deliveredAt != null)
  t.same(log.of('closing-1').map((run) => [run.instance, run.attempt]), [['A', 1], ['B', 1]], 'the interrupted run number is run again')
})

t.test('without onPaymentResult nothing is claimed or marked', PG, async (t) => {
  const world = await buildWorld(t)
  await world.order('plain-1')
  world.sim.completePayment('plain-1', { status: 'SUCCESS' })
  await world.app.awaitPaymentResult('plain-1')
  t.equal(await world.app.alipayplus.sweepDeliveries(), 0)
  t.equal(world.app.alipayplus.deliveryStats(), null)
  const order = await world.store.getOrder('plain-1')
  t.same([order?.deliveredAt, order?.deliveryAttempts, order?.deliveryOwner], [null, 0, null])
})
