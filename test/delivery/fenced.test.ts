// The delivery claim fences its run: instance A's database connection stalls (no FIN, no RST)
// while its handler runs, past the end of its claim; instance B, on a healthy connection, takes
// the result over. A's run must have been aborted (FST_ALIPAYPLUS_DELIVERY_CLAIM_LOST) before
// B's run starts: two runs of one order never overlap, and attempt numbers only grow.
import t, { type Test } from 'tap'
import { type Backend, BACKENDS, forEachBackend, openClient } from '../helpers/databases.js'
import { RunLog, untilAborted } from '../helpers/delivery.js'
import { buildMerchantApp } from '../helpers/merchant-app.js'
import { proxiedUrl } from '../helpers/tcp-proxy.js'
import { alipayKeys, buildWorld, merchantKeys, until } from '../helpers/world.js'

// A short claim, so that a stall of a second or so outlives it.
const CLAIM = { leaseMs: 500, sweepIntervalMs: 50 }

async function stallDuringRun(t: Test, backend: Backend): Promise<void> {
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
    delivery: { ...CLAIM, sweepIntervalMs: 60_000, timeoutMs: 60_000 },
  })
  await world.store.createOrder({ orderNo: 'fenced-1', amount: { currency: 'USD', value: '100' } })
  await a.alipayplus.store.recordResult({ orderNo: 'fenced-1', source: 'inquiry', status: 'FAIL', payload: '{}' })
  await until(() => log.of('fenced-1').length === 1)

  // A's connection goes silent while its handler runs; B starts on a healthy one.
  proxy.stall()
  const b = await world.addApp({ onPaymentResult: log.handler('B'), delivery: CLAIM })
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

await forEachBackend(
  t,
  async (t, backend) => {
    t.test("a stalled database connection: the run is aborted before its claim can lapse", (t) => stallDuringRun(t, backend))
  },
  BACKENDS.filter((backend) => backend.server !== undefined),
)
