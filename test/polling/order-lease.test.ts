// The lease of one holder, with the rows' two calls stood in for: how long a claim lasts, that a
// claim answered too late to leave the margin is renewed before use, that the ORDER_NOT_EXIST
// count rides on the next write, and that a release the database refuses never throws out of
// the loop that ends.
import type { FastifyBaseLogger } from 'fastify'
import t from 'tap'
import { OrderLease } from '../../src/polling/order-lease.js'
import type { PollingRows } from '../../src/polling/polling-rows.js'

/** `answers`: per claim, how long its answer takes and whether it is granted (default: at once, granted). */
function fakes(release: (...args: unknown[]) => Promise<boolean>, answers: Array<{ afterMs: number; granted: boolean }> = []) {
  const claims: Date[] = []
  const notFound: unknown[] = []
  const errors: Array<{ fields: unknown; message: string }> = []
  const store = {
    claimLease: async (_orderNo: string, _owner: string, until: Date, change: unknown) => {
      claims.push(until)
      notFound.push(change)
      const answer = answers.shift() ?? { afterMs: 0, granted: true }
      await new Promise((resolve) => setTimeout(resolve, answer.afterMs))
      return answer.granted
    },
    releaseLease: release,
  } as unknown as PollingRows
  const log = { error: (fields: unknown, message: string) => errors.push({ fields, message }) } as unknown as FastifyBaseLogger
  return { claims, notFound, errors, lease: new OrderLease(store, 1_000, log) }
}

t.test('a claim lasts until the next call could come, plus the margin', async (t) => {
  const { claims, lease } = fakes(async () => true)
  const before = Date.now()
  t.ok(await lease.hold('o-1').claim(4_000))
  t.ok(claims[0]!.getTime() >= before + 5_000, 'next call in 4 s + leaseMarginMs 1 s')
  t.ok(claims[0]!.getTime() <= Date.now() + 5_000)
})

t.test('a release the database refuses is logged, never thrown: the lease lapses', async (t) => {
  const { errors, lease } = fakes(() => Promise.reject(new Error('connection lost')))
  const hold = lease.hold('o-2')
  await hold.release()
  t.equal(errors.length, 0, 'nothing held: nothing to release')
  t.ok(await hold.claim(100))
  await t.resolves(hold.release())
  t.match(errors, [{ fields: { orderNo: 'o-2' }, message: /lapses at leaseUntil/ }])
  await hold.release()
  t.equal(errors.length, 1, 'released once')
})

t.test('a claim answered after its margin began is renewed before use; used only if the renewal is in time', async (t) => {
  // claim(100) lasts 1.1 s and is usable for its first 100 ms (the margin, 1 s, is left for the call).
  const slow = { afterMs: 300, granted: true }
  const renewed = fakes(async () => true, [slow, { afterMs: 0, granted: true }])
  const hold = renewed.lease.hold('o-3')
  t.ok(await hold.claim(100), 'usable after the renewal')
  t.equal(renewed.claims.length, 2, 'renewed once')
  t.ok(hold.isLive())
  t.same(renewed.lease.stats, { claims: 2, refused: 0 })

  const late = fakes(async () => true, [slow, slow])
  const lateHold = late.lease.hold('o-4')
  t.notOk(await lateHold.claim(100), 'both answers too late: not used')
  t.notOk(lateHold.isLive())
  t.equal(late.claims.length, 2)
})

t.test('the ORDER_NOT_EXIST count goes with the next claim that is granted, or with the release', async (t) => {
  const released: unknown[] = []
  const { notFound, lease } = fakes(async (...args) => {
    released.push(args[3])
    return true
  }, [
    { afterMs: 0, granted: true },
    { afterMs: 0, granted: false },
    { afterMs: 0, granted: true },
  ])
  const hold = lease.hold('o-5')
  t.ok(await hold.claim(100))
  hold.answered(true)
  t.notOk(await hold.claim(100), 'refused by another instance')
  t.ok(await hold.claim(100))
  hold.answered(false)
  await hold.release()
  t.same(notFound, [undefined, { increment: 1 }, { increment: 1 }], 'kept until a claim was granted')
  t.same(released, [0], 'an answer that knows the payment resets it, with the release')
  t.same(lease.stats, { claims: 3, refused: 1 })
})
