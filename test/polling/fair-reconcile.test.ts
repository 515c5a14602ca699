// Issue M4: the reconciler must not starve a new order behind old ones that never become final.
// 10,000 abandoned checkouts (Alipay+ answers ORDER_NOT_EXIST; each already checked before and
// due again) and one paid order whose notification was lost: with 10 orders a pass, the paid
// order is final after two passes, because orders rotate by nextCheckAt (never-checked first)
// instead of by createdAt among every order whose lease is free.
import t from 'tap'
import { needsServer } from '../helpers/databases.js'
import { buildWorld, until } from '../helpers/world.js'

const ABANDONED = 10_000
// Passes only when told (reconcileNow), at any age, 10 orders each: starvation shows at once.
const RECONCILE = { intervalMs: 2 ** 31 - 1, minAgeMs: 0, batchSize: 10 }

t.test('10,000 abandoned orders ahead of a paid one: it is final within two reconcile passes', await needsServer('postgresql'), async (t) => {
  const world = await buildWorld(t)
  const now = Date.now()
  for (let start = 0; start < ABANDONED; start += 1_000) {
    await world.prisma.paymentOrder.createMany({
      data: Array.from({ length: 1_000 }, (_, i) => ({
        orderNo: `abandoned-${String(start + i).padStart(5, '0')}`,
        amount: '100',
        currency: 'USD',
        // Checked before (Alipay+ did not know them) and due again now.
        createdAt: new Date(now - 30 * 60_000 + start + i),
        nextCheckAt: new Date(now - 60_000),
        notFoundCount: 3,
      })),
    })
  }
  await world.order('paid-1')
  world.sim.completePayment('paid-1', { status: 'SUCCESS', notify: false })

  // Its first pass runs at start; the second is this call (queued behind the first if it runs).
  // Patient: on a loaded machine an answer slower than the world's 1 s timeout would be asked
  // again, and "asked about once" is about the rotation, not about timeouts.
  const reconciling = await world.addApp({ reconcile: RECONCILE, requestTimeoutMs: 15_000 })
  await reconciling.alipayplus.reconcileNow()
  await until(async () => (await world.store.getOrder('paid-1'))?.status === 'SUCCESS')
  const paid = await world.store.getOrder('paid-1')
  t.match(paid, { status: 'SUCCESS', resultSource: 'inquiry' }, 'found by the reconciler within two passes')
  t.equal(world.sim.stats().inquiries.byPayment['paid-1'], 1, 'asked about once')
  const taken = await world.prisma.paymentOrder.count({ where: { orderNo: { startsWith: 'abandoned-' }, nextCheckAt: { gt: new Date() } } })
  t.ok(taken <= 2 * RECONCILE.batchSize, `at most two batches of abandoned orders taken (${taken}), each pushed to the back`)
})
