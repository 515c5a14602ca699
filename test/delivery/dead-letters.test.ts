// Dead letters: a handler that always throws raises `delivery_failing` once (at the run
// numbered alertAfterAttempts), then `delivery_exhausted` when its retries are used up; the
// result is given up in the database (deliveryGaveUpAt), listed apart from the pending ones,
// never picked by the sweep again, until store.retryDelivery hands it back.
import t from 'tap'
import type { AttentionAlert } from '../../src/index.js'
import { OrderStore } from '../../src/store/order-store.js'
import { BACKENDS, forEachBackend } from '../helpers/databases.js'
import { FAST_DELIVERY, RunLog } from '../helpers/delivery.js'
import { buildMerchantApp } from '../helpers/merchant-app.js'
import { alipayKeys, merchantKeys, until } from '../helpers/world.js'

const AMOUNT = { currency: 'USD', value: '100' }

await forEachBackend(
  t,
  async (t, backend) => {
    t.test('always throws: delivery_failing, then delivery_exhausted, a dead letter, and its retry', async (t) => {
      const { prisma } = await backend.open(t)
      const alerts: AttentionAlert[] = []
      const log = new RunLog()
      let broken = true
      const { app } = await buildMerchantApp(t, {
        prisma,
        merchant: merchantKeys,
        alipay: alipayKeys,
        onAttention: (alert) => void alerts.push(alert),
        delivery: { ...FAST_DELIVERY, retries: 3, alertAfterAttempts: 2 },
        onPaymentResult: log.handler('A', (_result, { attempt }) => {
          if (broken) throw new Error(`downstream down (run ${attempt})`)
        }),
      })
      const store = app.alipayplus.store
      for (const orderNo of ['dead-1', 'fine-1']) await store.createOrder({ orderNo, amount: AMOUNT })
      await store.recordResult({ orderNo: 'dead-1', source: 'inquiry', status: 'SUCCESS', paymentAmount: AMOUNT, payload: '{}' })
      await until(() => alerts.some((alert) => alert.kind === 'delivery_exhausted'))

      t.same(log.of('dead-1').map((run) => run.attempt), [1, 2, 3, 4], 'retries: 3 means four runs')
      t.same(
        alerts.map((alert) => [alert.kind, 'attempts' in alert ? alert.attempts : null]),
        [['delivery_failing', 2], ['delivery_exhausted', 4]],
        'one failing alert at run 2, then one exhausted alert',
      )
      t.match(alerts[1], {
        orderNo: 'dead-1',
        source: 'inquiry',
        status: 'SUCCESS',
        attention: null,
        lastError: 'Error: downstream down (run 4)',
      })
      const dead = await store.getOrder('dead-1')
      t.ok(dead?.deliveryGaveUpAt instanceof Date, 'given up in the database')
      t.same([dead?.deliveredAt, dead?.deliveryOwner, dead?.deliveryAttempts], [null, null, 4])

      // A pending result beside it: the lists tell them apart.
      broken = false
      await store.recordResult({ orderNo: 'fine-1', source: 'inquiry', status: 'FAIL', payload: '{}' })
      await until(async () => (await store.getOrder('fine-1'))?.deliveredAt != null)
      broken = true
      t.same((await store.findUndelivered({ state: 'gave_up' })).map((o) => o.orderNo), ['dead-1'])
      t.same((await store.findUndelivered({ state: 'pending' })).map((o) => o.orderNo), [])
      t.same((await store.findUndelivered()).map((o) => o.orderNo), ['dead-1'], "'all' by default")
      await t.rejects(store.findUndelivered({ state: 'dead' as 'all' }), { code: 'FST_ALIPAYPLUS_INVALID_RESULT' })
      t.equal(await app.alipayplus.sweepDeliveries(), 0, 'the sweep never picks a dead letter')
      t.equal(log.of('dead-1').length, 4)

      // Fixed downstream: an operator hands it back, and it is delivered with a fresh budget.
      broken = false
      t.equal(await store.retryDelivery('dead-1'), true)
      t.equal(await store.retryDelivery('dead-1'), false, 'only a dead letter can be retried')
      await app.alipayplus.sweepDeliveries()
      await until(async () => (await store.getOrder('dead-1'))?.deliveredAt != null)
      t.same(log.of('dead-1').map((run) => run.attempt), [1, 2, 3, 4, 1], 'its runs counted again from 1')
      t.equal(alerts.length, 2, 'no further alert')
    })
  },
  BACKENDS.filter((backend) => backend.name !== 'pglite'),
)

t.test('a result past the limits with no failed run to say so (its last run crashed) is given up by the sweep', async (t) => {
  const [backend] = BACKENDS.filter((b) => b.name === 'sqlite')
  const { prisma } = await backend!.open(t)
  const store = OrderStore.fromClient(prisma)
  await store.createOrder({ orderNo: 'crashed-1', amount: AMOUNT })
  await store.recordResult({ orderNo: 'crashed-1', source: 'notify', status: 'FAIL', payload: '{}' })
  // What a SIGKILL during the last allowed run leaves once its claim has lapsed.
  await prisma.paymentOrder.updateMany({ where: { orderNo: 'crashed-1' }, data: { deliveryAttempts: 2, deliveryError: 'Error: earlier' } })

  const alerts: AttentionAlert[] = []
  const log = new RunLog()
  await buildMerchantApp(t, {
    prisma,
    merchant: merchantKeys,
    alipay: alipayKeys,
    onAttention: (alert) => void alerts.push(alert),
    delivery: { ...FAST_DELIVERY, retries: 1 },
    onPaymentResult: log.handler('A'),
  })
  await until(() => alerts.length === 1)
  t.match(alerts[0], { kind: 'delivery_exhausted', orderNo: 'crashed-1', attempts: 2, lastError: 'Error: earlier', source: 'notify' })
  t.same(log.runs, [], 'not run again')
  t.ok((await store.getOrder('crashed-1'))?.deliveryGaveUpAt instanceof Date)
})
