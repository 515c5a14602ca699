// The polling layer's columns on each of the four databases: the lease (claimed, renewed and
// released only by its holder), the reconciler's fair turns (never-checked first, then the
// longest due; a turn taken once), and the ORDER_NOT_EXIST count written with the lease.
import t from 'tap'
import { PollingRows } from '../../src/polling/polling-rows.js'
import { OrderStore } from '../../src/store/order-store.js'
import { resolvePaymentModels } from '../../src/store/payment-models.js'
import { forEachBackend } from '../helpers/databases.js'

const USD_100 = { currency: 'USD', value: '100' }

await forEachBackend(t, async (t, backend) => {
  const { prisma } = await backend.open(t)
  const store = OrderStore.fromClient(prisma)
  const rows = new PollingRows(resolvePaymentModels(prisma, undefined))
  const due = async (prefix: string, createdBefore = new Date()) =>
    (await rows.findDue(createdBefore, 1000)).filter((no) => no.startsWith(prefix))

  t.test('pending orders: oldest first among the never-checked, and final ones are not listed', async (t) => {
    const base = Date.now() - 60_000
    for (let i = 0; i < 3; i++) {
      await prisma.paymentOrder.create({ data: { orderNo: `pend-${i}`, amount: '1', currency: 'JPY', createdAt: new Date(base + i * 1000) } })
    }
    await store.recordResult({ orderNo: 'pend-1', source: 'inquiry', status: 'FAIL', payload: {} })
    t.same(await due('pend-', new Date(base + 5000)), ['pend-0', 'pend-2'])
    t.same(await due('pend-', new Date(base + 500)), ['pend-0'])
  })

  t.test('fair turns: never checked first, then the longest due; not yet due and leased orders wait', async (t) => {
    const now = Date.now()
    const rowsOf = [
      { orderNo: 'turn-old-due', createdAt: new Date(now - 90_000), nextCheckAt: new Date(now - 1_000) },
      { orderNo: 'turn-old-overdue', createdAt: new Date(now - 80_000), nextCheckAt: new Date(now - 5_000) },
      { orderNo: 'turn-new', createdAt: new Date(now - 10_000), nextCheckAt: null },
      { orderNo: 'turn-later', createdAt: new Date(now - 95_000), nextCheckAt: new Date(now + 60_000) },
      { orderNo: 'turn-leased', createdAt: new Date(now - 99_000), nextCheckAt: null, leaseOwner: 'other', leaseUntil: new Date(now + 60_000) },
    ]
    for (const row of rowsOf) await prisma.paymentOrder.create({ data: { amount: '1', currency: 'JPY', ...row } })
    t.same(await due('turn-'), ['turn-new', 'turn-old-overdue', 'turn-old-due'])

    const next = new Date(Date.now() + 60_000)
    t.ok(await rows.takeTurn('turn-new', next), 'its turn is taken')
    t.notOk(await rows.takeTurn('turn-new', next), 'once: another pass that listed it too leaves it')
    t.notOk(await rows.takeTurn('turn-later', next), 'not due yet')
    t.notOk(await rows.takeTurn('turn-leased', next), 'another instance polls it')
    t.same(await due('turn-'), ['turn-old-overdue', 'turn-old-due'], 'a taken order goes to the back')
    t.ok(await rows.setNextCheck('turn-new', new Date(Date.now() - 1)))
    t.same(await due('turn-'), ['turn-old-overdue', 'turn-old-due', 'turn-new'], 'due again, behind those due longer')
  })

  t.test('a polling lease is released only by its holder, as that holder last set it', async (t) => {
    await store.createOrder({ orderNo: 'lease-1', amount: USD_100 })
    const first = new Date(Date.now() + 60_000)
    const renewed = new Date(first.getTime() + 1_000)
    t.ok(await rows.claimLease('lease-1', 'instance-a', first))
    t.notOk(await rows.claimLease('lease-1', 'instance-b', first), "another owner's live lease is not taken")
    t.notOk(await rows.releaseLease('lease-1', 'instance-b', first), 'nor released by another owner')
    t.ok(await rows.claimLease('lease-1', 'instance-a', renewed), 'renewed by its owner')
    t.notOk(await rows.releaseLease('lease-1', 'instance-a', first), 'a holder done with the earlier claim leaves the renewed lease alone')
    t.ok(await rows.releaseLease('lease-1', 'instance-a', renewed), 'the renewed lease is released')
    const order = await store.getOrder('lease-1')
    t.same([order?.leaseOwner, order?.leaseUntil], [null, null])
    t.ok((await due('lease-')).includes('lease-1'), 'free for the reconciler at once')
    t.ok(await rows.claimLease('lease-1', 'instance-b', first), 'and for another instance')
  })

  t.test('the ORDER_NOT_EXIST count rides on the claims and the release, and any other answer resets it', async (t) => {
    await store.createOrder({ orderNo: 'nf-1', amount: USD_100 })
    const count = async () => (await store.getOrder('nf-1'))?.notFoundCount
    const until = () => new Date(Date.now() + 60_000)
    t.ok(await rows.claimLease('nf-1', 'a', until()))
    t.equal(await count(), 0, 'a first claim says nothing')
    t.ok(await rows.claimLease('nf-1', 'a', until(), { increment: 1 }))
    t.ok(await rows.claimLease('nf-1', 'a', until(), { increment: 1 }))
    t.notOk(await rows.claimLease('nf-1', 'b', until(), { increment: 1 }), 'a refused claim writes nothing')
    t.equal(await count(), 2)
    const last = until()
    t.ok(await rows.claimLease('nf-1', 'a', last, { increment: 1 }))
    t.ok(await rows.releaseLease('nf-1', 'a', last, { increment: 1 }), 'the last answer goes with the release')
    t.equal(await count(), 4)
    t.ok(await rows.claimLease('nf-1', 'a', until(), 0))
    t.equal(await count(), 0, 'reset by an answer that knows the payment')
  })
})
