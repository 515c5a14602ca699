// fastify.close() during a run: the run is interrupted, not failed. Its claim is no longer
// renewed (a handler that ignores its signal cannot keep the result from other instances),
// and it does not use up delivery.retries (deploys during a handler never lose a result).
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import type { PaymentResultContext, PaymentResult } from '../../src/index.js'
import { BACKENDS, forEachBackend, type TestDatabase } from '../helpers/databases.js'
import { FAST_DELIVERY, gate, RunLog, untilAborted } from '../helpers/delivery.js'
import { buildMerchantApp } from '../helpers/merchant-app.js'
import { alipayKeys, merchantKeys, until } from '../helpers/world.js'

const AMOUNT = { currency: 'USD', value: '100' }

type Then = (result: PaymentResult, context: PaymentResultContext) => Promise<void> | void

/** An instance on the test's database whose handler is `then`, recorded in `log` as `name`. */
function instance(t: Test, { prisma }: TestDatabase<object>, log: RunLog, name: string, then?: Then, delivery = {}) {
  return buildMerchantApp(t, {
    prisma,
    merchant: merchantKeys,
    alipay: alipayKeys,
    onPaymentResult: log.handler(name, then),
    delivery: { ...FAST_DELIVERY, ...delivery },
  })
}

/** Creates the order and finalizes it on `app`, which runs its handler at once. */
async function finalize(app: FastifyInstance, orderNo: string) {
  await app.alipayplus.store.createOrder({ orderNo, amount: AMOUNT })
  await app.alipayplus.store.recordResult({ orderNo, source: 'inquiry', status: 'FAIL', payload: '{}' })
}

await forEachBackend(
  t,
  async (t, backend) => {
    t.test('two close() during a well-behaved handler with retries: 1: still delivered after', async (t) => {
      const db = await backend.open(t)
      const log = new RunLog()
      const reasons: string[] = []
      const waitsForAbort: Then = (_result, { signal }) => untilAborted(signal, reasons)

      const { app: first } = await instance(t, db, log, 'first', waitsForAbort, { retries: 1 })
      await finalize(first, 'deploys-1')
      await until(() => log.of('deploys-1').length === 1)
      await first.close()
      const { app: second } = await instance(t, db, log, 'second', waitsForAbort, { retries: 1 })
      await until(() => log.of('deploys-1').length === 2)
      await second.close()
      await instance(t, db, log, 'third', undefined, { retries: 1 })
      await until(async () => (await db.prisma.paymentOrder.findFirst({ where: { orderNo: 'deploys-1' } }))?.deliveredAt != null)

      t.same(reasons, ['FST_ALIPAYPLUS_DELIVERY_CLOSED', 'FST_ALIPAYPLUS_DELIVERY_CLOSED'])
      t.same(
        log.of('deploys-1').map((run) => [run.instance, run.attempt]),
        [['first', 1], ['second', 1], ['third', 1]],
        'an interrupted run gives its number back',
      )
      const order = await db.prisma.paymentOrder.findFirst({ where: { orderNo: 'deploys-1' } })
      t.same([order?.deliveryAttempts, order?.deliveryGaveUpAt], [1, null])
    })

    t.test('after close(), a handler that ignores its signal no longer holds the claim: another instance delivers', async (t) => {
      const db = await backend.open(t)
      const log = new RunLog()
      const stuck = gate()
      const { app: a, logs } = await instance(t, db, log, 'A', () => stuck.promise, { timeoutMs: 300 })
      // Registered last, run first at teardown: A's handler must end for the process to.
      t.teardown(() => stuck.open())
      await finalize(a, 'ignores-1')
      await until(() => log.of('ignores-1').length === 1)
      await a.close()
      t.ok(
        logs.some((line) => line.includes('ignored its abort signal at close')),
        'close() returned after delivery.timeoutMs, saying the claim will lapse',
      )

      await instance(t, db, log, 'B')
      await until(async () => (await db.prisma.paymentOrder.findFirst({ where: { orderNo: 'ignores-1' } }))?.deliveredAt != null)
      t.notOk(log.timeline.includes('A end ignores-1 1'), "delivered by B while A's handler still ran: A's claim lapsed")
      t.same(log.of('ignores-1').map((run) => [run.instance, run.attempt]), [['A', 1], ['B', 2]])

      stuck.open()
      await until(() => log.timeline.includes('A end ignores-1 1'))
      // A's run, ending at last, cannot touch the row B settled.
      const order = await db.prisma.paymentOrder.findFirst({ where: { orderNo: 'ignores-1' } })
      t.same([order?.deliveredAt != null, order?.deliveryAttempts, order?.deliveryOwner], [true, 2, null])
    })
  },
  BACKENDS.filter((backend) => backend.name !== 'pglite'),
)
