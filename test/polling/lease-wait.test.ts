// Fewer, calmer loops (issue 15, point 5): an instance whose waiters' order another instance is
// polling does not claim and read on every tick of its own schedule for the whole window. It
// tries once, then waits for the other's lease to lapse (it is renewed before every call) or
// for the result to be published (here the wake-up, after the notification reached the other).
import t from 'tap'
import { needsServer } from '../helpers/databases.js'
import { buildWorld, until } from '../helpers/world.js'

const ORDERS = 10
// A's ticks come every 20..100 ms; its lease lasts until its next tick plus 2 s.
const SHARED = { leaseMarginMs: 2_000, requestTimeoutMs: 1_000 }

t.test('an instance that does not hold the lease waits for its lapse or a wake-up, not every tick', await needsServer('postgresql'), async (t) => {
  const world = await buildWorld(t, { app: SHARED })
  const a = world.app
  const b = await world.addApp(SHARED)
  const orderNos = Array.from({ length: ORDERS }, (_, i) => `calm-${i}`)
  for (const orderNo of orderNos) await world.order(orderNo)
  const inquiries = (orderNo: string) => world.sim.stats().inquiries.byPayment[orderNo] ?? 0

  // A polls every order first (and holds its lease); then B's waiters come for the same orders.
  const onA = orderNos.map((orderNo) => a.awaitPaymentResult(orderNo))
  await until(() => orderNos.every((orderNo) => inquiries(orderNo) >= 1))
  const onB = orderNos.map((orderNo) => b.awaitPaymentResult(orderNo))
  await until(() => b.alipayplus.stats().leaseRefused >= ORDERS)
  // A ticks on: ten more inquiries an order, a claim each.
  const asked = Object.fromEntries(orderNos.map((orderNo) => [orderNo, inquiries(orderNo)]))
  await until(() => orderNos.every((orderNo) => inquiries(orderNo) >= asked[orderNo]! + 10))
  const bStats = b.alipayplus.stats()
  t.equal(bStats.inquiries, 0, 'B never inquired')
  t.ok(bStats.leaseClaims <= 3 * ORDERS, `B claimed at most 3 times an order while A made 10 calls each (${bStats.leaseClaims / ORDERS})`)

  // The payments complete; the notification reaches A, and B's waiters hear of it by the wake-up.
  for (const orderNo of orderNos) world.sim.completePayment(orderNo, { status: 'SUCCESS' })
  const results = await Promise.all([...onA, ...onB])
  t.ok(results.every((result) => result.status === 'SUCCESS'), 'every waiter on both instances has the result')
  const [sa, sb] = [a.alipayplus.stats(), b.alipayplus.stats()]
  t.comment(
    `per pending order: loops ${(sa.loopsStarted + sb.loopsStarted) / ORDERS}, lease claims ${(sa.leaseClaims + sb.leaseClaims) / ORDERS} ` +
      `(A ${sa.leaseClaims / ORDERS}, B ${sb.leaseClaims / ORDERS}), refused ${(sa.leaseRefused + sb.leaseRefused) / ORDERS}, inquiries ${(sa.inquiries + sb.inquiries) / ORDERS}`,
  )
})
