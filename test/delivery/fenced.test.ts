// The delivery claim fences its run: instance A's database connection stalls (no FIN, no RST)
// while its handler runs, past the end of its claim; instance B, on a healthy connection, takes
// the result over. A's run must have been aborted (FST_ALIPAYPLUS_DELIVERY_CLAIM_LOST) before
// B's run starts: two runs of one order never overlap (also with B's clock ahead of A's, within
// delivery.maxClockSkewMs), and attempt numbers only grow.
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { AttentionAlerts } from '../../src/attention/attention-alerts.js'
import { DeliveryClaims } from '../../src/delivery/delivery-claims.js'
import { type DeliveryOptions, type PaymentResultHandler, resolveDelivery } from '../../src/delivery/delivery-options.js'
import { ResultDelivery } from '../../src/delivery/result-delivery.js'
import { resolvePaymentModels } from '../../src/store/payment-models.js'
import { type Backend, BACKENDS, forEachBackend, openClient } from '../helpers/databases.js'
import { FAST_DELIVERY, RunLog, untilAborted } from '../helpers/delivery.js'
import { buildMerchantApp } from '../helpers/merchant-app.js'
import { proxiedUrl } from '../helpers/tcp-proxy.js'
import { alipayKeys, buildWorld, merchantKeys, until, type World } from '../helpers/world.js'

// A short claim, so that a stall of a second or so outlives it.
const CLAIM = { leaseMs: 500, sweepIntervalMs: 50 }
// The same with room for clock skew: the run is aborted 400 ms before its claim could lapse.
const SKEWED = { leaseMs: 1_200, maxClockSkewMs: 400, sweepIntervalMs: 50 }

/** Instance B: the plugin on a healthy connection, or (with a clock offset) its delivery alone. */
type StartB = (world: World, handler: PaymentResultHandler) => Promise<{ close(): Promise<void> }>

const pluginB =
  (delivery: DeliveryOptions): StartB =>
  (world, handler) =>
    world.addApp({ onPaymentResult: handler, delivery })

/**
 * B's delivery with its wall clock `offsetMs` ahead of A's: the plugin has no clock option, so
 * this builds what the plugin builds (src/plugin.ts) with an offset clock.
 */
const skewedB =
  (delivery: DeliveryOptions, offsetMs: number): StartB =>
  async (world, handler) => {
    const { log } = Fastify({ logger: false })
    const b = new ResultDelivery({
      claims: new DeliveryClaims(resolvePaymentModels(world.prisma, undefined, { delivery: true }).orders, () => Date.now() + offsetMs),
      handler,
      options: resolveDelivery(delivery),
      log,
      alerts: new AttentionAlerts(undefined, log),
    })
    b.start()
    return b
  }

async function stallDuringRun(t: Test, backend: Backend, delivery: DeliveryOptions, startB: StartB): Promise<void> {
  const world = await buildWorld(t, { backend, listen: false })
  const { proxy, url } = await proxiedUrl(t, world.databaseUrl!)
  const log = new RunLog()
  const abortedWith: string[] = []
  const { app: a } = await buildMerchantApp(t, {
    prisma: await openClient(t, backend.name as 'postgresql' | 'mysql', url),
    merchant: merchantKeys,
    alipay: alipayKeys,
    // A well-behaved handler: it stops as soon as its signal says so.
    onPaymentResult: log.handler('A', (_result, { signal }) => untilAborted(signal, abortedWith)),
    // The sweep only at start: A takes the result it finalizes, at once.
    delivery: { ...delivery, sweepIntervalMs: 60_000, timeoutMs: 60_000 },
  })
  await world.store.createOrder({ orderNo: 'fenced-1', amount: { currency: 'USD', value: '100' } })
  await a.alipayplus.store.recordResult({ orderNo: 'fenced-1', source: 'inquiry', status: 'FAIL', payload: '{}' })
  await until(() => log.of('fenced-1').length === 1)

  // A's connection goes silent while its handler runs; B starts on a healthy one.
  proxy.stall()
  const b = await startB(world, log.handler('B'))
  await until(async () => (await world.store.getOrder('fenced-1'))?.deliveredAt != null)
  proxy.resume()
  await until(() => log.timeline.includes('A end fenced-1 1'))
  await b.close()

  t.same(log.overlaps, [], 'no run started while another run of the order was going')
  t.same(
    log.timeline,
    ['A start fenced-1 1', 'A end fenced-1 1', 'B start fenced-1 2', 'B end fenced-1 2'],
    "A's run ended before B's started; B's attempt number comes after A's",
  )
  t.same(abortedWith, ['FST_ALIPAYPLUS_DELIVERY_CLAIM_LOST'], 'A was aborted because its claim could not be renewed in time')
  const order = await world.store.getOrder('fenced-1')
  t.same([order?.deliveryAttempts, order?.deliveryOwner], [2, null])
}

async function attemptsOnlyGrow(t: Test, backend: Backend): Promise<void> {
  const world = await buildWorld(t, { backend, listen: false })
  const log = new RunLog()
  const failsFirstFour = (name: string) =>
    log.handler(name, (_result, { attempt }) => {
      if (attempt < 5) throw new Error(`not yet (run ${attempt})`)
    })
  const a = await world.addApp({ onPaymentResult: failsFirstFour('A'), delivery: { ...FAST_DELIVERY, sweepIntervalMs: 20 } })
  await world.addApp({ onPaymentResult: failsFirstFour('B'), delivery: { ...FAST_DELIVERY, sweepIntervalMs: 20 } })
  await world.store.createOrder({ orderNo: 'grows-1', amount: { currency: 'USD', value: '100' } })
  await a.alipayplus.store.recordResult({ orderNo: 'grows-1', source: 'inquiry', status: 'FAIL', payload: '{}' })
  await until(async () => (await world.store.getOrder('grows-1'))?.deliveredAt != null)

  t.same(log.of('grows-1').map((run) => run.attempt), [1, 2, 3, 4, 5], 'in the order the runs started, on whichever instance')
  t.same(log.overlaps, [])
  t.comment(`instances: ${log.of('grows-1').map((run) => run.instance).join(' ')}`)
}

async function markThroughOutage(t: Test, backend: Backend): Promise<void> {
  const world = await buildWorld(t, { backend, listen: false })
  const { proxy, url } = await proxiedUrl(t, world.databaseUrl!)
  const log = new RunLog()
  // The run may start before recordResult has returned (it still reads the order back on A's
  // connection): the cut waits for it, so that it hits the run's own writes only.
  let recorded!: () => void
  const resultRecorded = new Promise<void>((resolve) => (recorded = resolve))
  const { app: a, logs } = await buildMerchantApp(t, {
    prisma: await openClient(t, backend.name as 'postgresql' | 'mysql', url),
    merchant: merchantKeys,
    alipay: alipayKeys,
    // The first run completes just as A's database connections are cut.
    onPaymentResult: log.handler('A', async () => {
      if (log.runs.length !== 1) return
      await resultRecorded
      proxy.cut()
    }),
    delivery: FAST_DELIVERY,
  })
  await world.store.createOrder({ orderNo: 'marked-1', amount: { currency: 'USD', value: '100' } })
  await a.alipayplus.store.recordResult({ orderNo: 'marked-1', source: 'inquiry', status: 'SUCCESS', paymentAmount: { currency: 'USD', value: '100' }, payload: '{}' })
  recorded()
  // The first mark failed (before the fix, that was the end of it: the claim lapsed, the run was repeated).
  await until(() => logs.some((line) => /could not (mark a completed run|record the outcome of a run)/.test(line)))
  proxy.restore()
  await until(async () => (await world.store.getOrder('marked-1'))?.deliveredAt != null)
  t.equal(log.of('marked-1').length, 1, 'marked by the run that completed: not run again')
  t.equal((await world.store.getOrder('marked-1'))?.deliveryAttempts, 1)
}

await forEachBackend(
  t,
  async (t, backend) => {
    t.test('a stalled database connection: the run is aborted before its claim can lapse', (t) =>
      stallDuringRun(t, backend, CLAIM, pluginB(CLAIM)),
    )
    t.test("the same, with B's clock 300 ms ahead of A's (maxClockSkewMs 400)", (t) =>
      stallDuringRun(t, backend, SKEWED, skewedB(SKEWED, 300)),
    )
    t.test('attempt numbers only grow, across instances', (t) => attemptsOnlyGrow(t, backend))
    t.test('a completed run is marked, though its database was cut as it ended', (t) => markThroughOutage(t, backend))
  },
  BACKENDS.filter((backend) => backend.server !== undefined),
)
