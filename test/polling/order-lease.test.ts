// The lease of one holder, with the rows' two calls stood in for: how long a claim lasts, and
// that a release the database refuses never throws out of the loop that ends.
import type { FastifyBaseLogger } from 'fastify'
import t from 'tap'
import { OrderLease } from '../../src/polling/order-lease.js'
import type { PollingRows } from '../../src/polling/polling-rows.js'

function fakes(release: () => Promise<boolean>) {
  const claims: Date[] = []
  const errors: Array<{ fields: unknown; message: string }> = []
  const store = {
    claimLease: async (_orderNo: string, _owner: string, until: Date) => {
      claims.push(until)
      return true
    },
    releaseLease: release,
  } as unknown as PollingRows
  const log = { error: (fields: unknown, message: string) => errors.push({ fields, message }) } as unknown as FastifyBaseLogger
  return { claims, errors, lease: new OrderLease(store, 1_000, log) }
}

t.test('a claim lasts until the next call could come, plus the margin', async (t) => {
  const { claims, lease } = fakes(async () => true)
  const before = Date.now()
  t.ok(await lease.hold('o-1').claim(4_000))
  t.ok(claims[0]!.getTime() >= before + 5_000, 'next call in 4 s + leaseMs 1 s')
  t.ok(claims[0]!.getTime() <= Date.now() + 5_000)
})

t.test('a release the database refuses is logged, never thrown: the lease lapses', async (t) => {
  const { errors, lease } = fakes(() => Promise.reject(new Error('connection lost')))
  const hold = lease.hold('o-2')
  await hold.release()
  t.equal(errors.length, 0, 'nothing held: nothing to release')
  t.ok(await hold.claim(0))
  await t.resolves(hold.release())
  t.match(errors, [{ fields: { orderNo: 'o-2' }, message: /lapses at leaseUntil/ }])
  await hold.release()
  t.equal(errors.length, 1, 'released once')
})
