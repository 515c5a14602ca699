// OrderBatchReader answers each getOrder as OrderStore.getOrder would, with the calls of one
// synchronous run read together: one query per 500 orderNos, exact orderNo matches (case
// included).
import t from 'tap'
import { OrderBatchReader } from '../../src/store/order-batch-reader.js'
import { OrderStore } from '../../src/store/order-store.js'
import { forEachBackend } from '../helpers/databases.js'

const USD_100 = { currency: 'USD', value: '100' }

/** The store, counting its getOrders calls and their sizes. */
function counting(store: OrderStore): { store: OrderStore; batches: number[] } {
  const batches: number[] = []
  const getOrders = store.getOrders.bind(store)
  store.getOrders = (orderNos) => {
    batches.push(orderNos.length)
    return getOrders(orderNos)
  }
  return { store, batches }
}

await forEachBackend(t, async (t, backend) => {
  const { prisma } = await backend.open(t)
  const base = OrderStore.fromClient(prisma)

  t.test('the calls of one synchronous run are one query per 500 orderNos, each answered with its own order', async (t) => {
    const { store, batches } = counting(OrderStore.fromClient(prisma))
    const orderNos = Array.from({ length: 1_200 }, (_, i) => `batch-${i}`)
    // One statement: the orders' creation is not what this test is about.
    await prisma.paymentOrder.createMany({ data: orderNos.map((orderNo) => ({ orderNo, amount: '100', currency: 'USD' })) })
    await base.recordResult({ orderNo: 'batch-7', source: 'notify', status: 'SUCCESS', resultCode: 'SUCCESS', paymentAmount: USD_100, payload: {} })
    const reader = new OrderBatchReader(store)
    const orders = await Promise.all([...orderNos, 'batch-7', 'batch-missing'].map((orderNo) => reader.getOrder(orderNo)))
    t.same(batches, [500, 500, 201], '1,201 distinct orderNos')
    t.same(orders.slice(0, orderNos.length).map((order) => order?.orderNo), orderNos)
    t.equal(orders[7]?.status, 'SUCCESS')
    t.equal(orders[orderNos.length]?.status, 'SUCCESS', 'the same orderNo twice: both callers answered')
    t.equal(orders[orderNos.length + 1], null, 'an unknown orderNo reads null')
    t.same(await reader.getOrder('batch-8'), await base.getOrder('batch-8'), 'the same record as getOrder')
    t.same(batches, [500, 500, 201, 1], 'a later call makes its own query')
  })

  t.test('orderNos match exactly, case included', async (t) => {
    await base.createOrder({ orderNo: 'Case-A', amount: USD_100 })
    const reader = new OrderBatchReader(base)
    const [upper, lower] = await Promise.all([reader.getOrder('Case-A'), reader.getOrder('case-a')])
    t.equal(upper?.orderNo, 'Case-A')
    t.equal(lower, null)
  })
})

t.test('a failed query rejects every caller of its batch', async (t) => {
  const failing = { getOrders: () => Promise.reject(new Error('database down')) } as unknown as OrderStore
  const reader = new OrderBatchReader(failing)
  const results = await Promise.allSettled([reader.getOrder('a'), reader.getOrder('b'), reader.getOrder('a')])
  t.same(
    results.map((r) => r.status === 'rejected' && (r.reason as Error).message),
    ['database down', 'database down', 'database down'],
  )
})
