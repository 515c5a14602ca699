// L11 for polling leases: leaseUntil is written from the holder's wall clock and compared with
// the claimer's. Documented bound (docs/reconciler.md, "Clock skew"): a claimer whose clock is
// ahead of the holder's by less than leaseMarginMs - requestTimeoutMs never takes a lease the holder
// is still using, so the two never inquire about one order at once. The second instance runs
// in its own process with its wall clock shifted by a preload (fixtures/clock-offset.ts); the
// first polls the order for longer than the second's window.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import type { PaymentResult, PollerStats } from '../../src/index.js'
import { needsServer } from '../helpers/databases.js'
import { CLIENT_ID } from '../helpers/merchant-app.js'
import { alipayKeys, buildWorld, FAST_POLLING, FAST_RATE, merchantKeys, until } from '../helpers/world.js'
import { childEnv } from '../helpers/child-env.js'

const LEASE_MS = 4_000
const REQUEST_TIMEOUT_MS = 1_000
const BOUND_MS = LEASE_MS - REQUEST_TIMEOUT_MS
const SHARED = { leaseMarginMs: LEASE_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS }
/** The second instance's window: several of the first one's lease renewals. */
const CHILD_WINDOW_MS = 6_000

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

/** A polls the order; B, `offsetMs` ahead, awaits it for its window; what B did meanwhile. */
async function skewedPair(t: Test, orderNo: string, offsetMs: number) {
  const world = await buildWorld(t, { app: SHARED, listen: false })
  await world.order(orderNo)
  const onA = world.app.awaitPaymentResult(orderNo, { timeoutMs: 300_000 })
  await until(() => (world.sim.stats().inquiries.byPayment[orderNo] ?? 0) >= 1)

  const child = spawn(process.execPath, ['--import', 'tsx', '--import', fixture('clock-offset.ts'), fixture('polling-app.ts')], {
    env: {
      ...childEnv(),
      CLOCK_OFFSET_MS: String(offsetMs),
      FIXTURE_CONFIG: JSON.stringify({
        databaseUrl: world.databaseUrl,
        orderNo,
        timeoutMs: CHILD_WINDOW_MS,
        options: {
          clientId: CLIENT_ID,
          privateKey: merchantKeys.privatePem,
          alipayPublicKey: alipayKeys.publicPem,
          gatewayUrl: world.simUrl,
          polling: FAST_POLLING,
          maxInquiriesPerSecond: FAST_RATE,
          reconcile: false,
          ...SHARED,
        },
      }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = once(child, 'exit')
  t.teardown(() => void child.kill('SIGKILL'))
  let done: { result: PaymentResult; stats: PollerStats } | undefined
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('DONE ')) done = JSON.parse(line.slice('DONE '.length)) as typeof done
  })
  await until(() => done !== undefined, 120_000)
  const aPolledThroughout = world.app.alipayplus.stats().activeLoops === 1
  await exited

  world.sim.completePayment(orderNo, { status: 'SUCCESS', notify: false })
  t.match(await onA, { status: 'SUCCESS', source: 'inquiry' }, 'A finalizes it')
  return { b: done!, aPolledThroughout }
}

t.test('polling leases under clock skew', await needsServer('postgresql'), async (t) => {
  t.test(`a clock ${BOUND_MS - 1_000} ms ahead (within leaseMarginMs - requestTimeoutMs): never takes the live lease`, async (t) => {
    const { b, aPolledThroughout } = await skewedPair(t, 'skew-within', BOUND_MS - 1_000)
    t.ok(aPolledThroughout, 'A polled the order for the whole of B\'s window')
    t.equal(b.result.final, false, "B's window ended without the result")
    t.equal(b.stats.inquiries, 0, 'B made no inquiry: no two instances asked at once')
    t.ok(b.stats.leaseRefused >= 1, 'B tried, and was refused')
  })

  // The bound is real: beyond the margin plus a lease's length, the skewed instance takes the
  // lease A still uses (the test above can fail).
  t.test(`a clock ${LEASE_MS + 3_000} ms ahead (beyond the bound): takes the live lease, as documented`, async (t) => {
    const { b, aPolledThroughout } = await skewedPair(t, 'skew-beyond', LEASE_MS + 3_000)
    t.ok(aPolledThroughout, 'A was still polling')
    t.ok(b.stats.inquiries >= 1, 'B inquired while A held the lease')
  })
})
