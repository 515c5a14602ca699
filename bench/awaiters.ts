// Benchmark "awaiters": 10,000 concurrent awaitPaymentResult calls in the merchant app against
// the Alipay+ simulator over real HTTP, each in its own process. The merchant process
// (bench/compiled/awaiters-merchant.ts) runs compiled JavaScript under plain node, as deployed:
// Fastify + fastify-alipayplus from dist/ + the generated Prisma client + adapter-pg on
// PostgreSQL, default maxConcurrentInquiries 16, ticks shortened so the run is bounded; this
// process (tsx) only drives the two and measures. Payments complete over COMPLETE_SECONDS; the
// simulator loses NOTIFY_DROP_RATE of the notifications entirely, so those orders can only be
// resolved by an inquiry, the rest by their notification (or by an inquiry that gets there
// first). Sampled: the merchant's RSS from /proc every 100 ms and its kernel high-water mark
// (VmHWM), its V8 heap and event-loop delay (measured inside it), and the simulator's inquiry
// counters every second.
import type { MerchantStart, AwaitersRun } from './compiled/awaiters-protocol.js'
import type { PollerStats } from '../src/polling/payment-poller.js'
import type { ResultSource } from '../src/store/prisma-types.js'
import { buildCompiledMerchant, COMPILED_MERCHANT } from './lib/build-compiled.js'
import { BenchChild } from './lib/child.js'
import { CORES, CpuMeter, cpuMicros, waitForQuiet } from './lib/cpu.js'
import { createBenchDatabase } from './lib/database.js'
import { generateBenchKeys, merchantPems } from './lib/keys.js'
import { runBench, sleep } from './lib/lifecycle.js'
import { AMOUNT, CLIENT_ID, NOTIFY_PATH, orderNumbers } from './lib/notify-requests.js'
import { procMemory } from './lib/proc-memory.js'
import { benchResult, heading, note, round, summarize, type Summary, table, verdict } from './lib/report.js'
import type { SimStatsSummary } from './servers/simulator.js'

const ORDERS = Number(process.env.BENCH_AWAITERS ?? 10_000)
const MAX_CONCURRENT_INQUIRIES = 16 // the plugin's default; not passed, only checked
const POLLING = { minTimeoutMs: 250, maxTimeoutMs: 2_000, factor: 2, randomize: false, maxRetryTimeMs: 180_000 }
// Ticks 16 times shorter than the default schedule: the per-second cap (default 50) is lifted
// so that the run measures what it did before the cap existed (peaks of 400+ inquiries/s).
const MAX_INQUIRIES_PER_SECOND = 1_000
const COMPLETE_AFTER_MS = 2_000
const COMPLETE_SECONDS = 40
const NOTIFY_DROP_RATE = 0.3
const FAIL_EVERY = 10 // every 10th payment fails, the others succeed
// Longer for more waiters: each order resolved by inquiry waits for its turn behind all others.
const RUN_LIMIT_MS = Number(process.env.BENCH_AWAITERS_LIMIT_S ?? 150 * Math.max(1, ORDERS / 10_000)) * 1000
/** When the live heap is measured: every waiter started, no payment completed yet. */
const LIVE_HEAP_AT_MS = 1_500
// Issue 9, point 5: the merchant process, compiled, with 10,000 waiters.
const TARGET_RSS_MB = 300
const TARGET_LOOP_P99_MS = 50

const MB = 1024 * 1024

/** Wall-clock milliseconds, comparable with the merchant process's timestamps. */
const now = () => performance.timeOrigin + performance.now()

runBench('awaiters', RUN_LIMIT_MS / 1000 + 90, async ({ defer }) => {
  heading(`awaiters: ${ORDERS} concurrent awaitPaymentResult in a compiled merchant process against the simulator (child process), real HTTP, PostgreSQL`)
  buildCompiledMerchant()
  const keys = await generateBenchKeys()
  const db = await createBenchDatabase()
  defer(() => db.drop())

  const sim = await BenchChild.start('servers/simulator.ts', 'simulator')
  defer(() => sim.stop())
  const { url: simUrl } = await sim.call<{ url: string }>('start', {
    clientId: CLIENT_ID,
    merchantPublicPem: keys.merchant.publicPem,
    alipayPrivatePem: keys.alipay.privatePem,
    faults: { notifyDropRate: NOTIFY_DROP_RATE },
    // One delivery per notification within the run: Alipay+'s next attempt would come minutes
    // later (Antom: 2 min), after the run; a delivery that is not acknowledged in time counts
    // as lost, like a dropped one, and its order is left to the inquiries.
    redeliveryScheduleMs: [0],
    seed: 42,
  })

  const merchant = await BenchChild.startCompiled(COMPILED_MERCHANT, 'merchant')
  defer(() => merchant.stop())
  // The simulator stops first (its deliveries in flight are aborted), then the merchant closes.
  defer(() => sim.stop())
  const merchantPid = merchant.pid!
  const start: MerchantStart = { databaseUrl: db.url, gatewayUrl: simUrl, clientId: CLIENT_ID, ...merchantPems(keys) }
  const { url: appUrl } = await merchant.call<{ url: string }>('start', { ...start, polling: POLLING, maxInquiriesPerSecond: MAX_INQUIRIES_PER_SECOND })
  await sim.call('setNotifyUrl', `${appUrl}${NOTIFY_PATH}`)

  const orderNos = orderNumbers('await-', ORDERS)
  const expected = new Map(orderNos.map((orderNo, i) => [orderNo, i % FAIL_EVERY === FAIL_EVERY - 1 ? 'FAIL' : 'SUCCESS'] as const))
  await db.insertOrders(orderNos, AMOUNT)
  await sim.call('createPayments', orderNos, AMOUNT)
  // Warm the merchant's paths once (Prisma, fetch, signing) so the baseline is a running app's.
  await merchant.call('warm', orderNos[0]!)
  await sleep(500)
  const machineBusy = await waitForQuiet(10_000)
  // Right before the first waiter: the app, its modules, the pool, warmed.
  const baseline = procMemory(merchantPid)
  const baselineHeap = (await merchant.call<NodeJS.MemoryUsage>('memory')).heapUsed
  // With BENCH_CHILD_NODE_OPTIONS=--expose-gc: the heap that survives a full collection, before
  // the waiters and while they all wait; their difference is what the waiting orders hold.
  const baselineLive = await merchant.call<number | null>('liveHeap')

  // Monitors.
  let sampledPeakRss = baseline.rssBytes
  const rssTimer = setInterval(() => {
    sampledPeakRss = Math.max(sampledPeakRss, procMemory(merchantPid).rssBytes)
  }, 100)
  const simSamples: Array<{ at: number; stats: SimStatsSummary }> = []
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      simSamples.push({ at: performance.now(), stats: await sim.call<SimStatsSummary>('stats') })
      await sleep(1_000)
    }
  })()
  const simBase = await sim.call<SimStatsSummary>('stats')
  const simCpu0 = await sim.call<NodeJS.CpuUsage>('cpuUsage')
  const merchantCpu0 = await merchant.call<NodeJS.CpuUsage>('cpuUsage')
  const meter = new CpuMeter()

  // 10,000 waiters at once, started inside the merchant process.
  const t0 = now()
  await merchant.call('startWaiters', orderNos)
  await sleep(t0 + LIVE_HEAP_AT_MS - now())
  const waitingLive = await merchant.call<number | null>('liveHeap')

  // Payments complete over time at the simulator, which notifies (or loses the notification).
  const completedAt = new Map<string, number>()
  const completing = (async () => {
    // A batch every 250 ms, on a fixed schedule.
    const ticks = COMPLETE_SECONDS * 4
    const perTick = Math.ceil(orderNos.length / ticks)
    for (let k = 0; k * perTick < orderNos.length; k++) {
      await sleep(t0 + COMPLETE_AFTER_MS + k * 250 - now())
      const batch = orderNos.slice(k * perTick, (k + 1) * perTick).map((orderNo) => [orderNo, expected.get(orderNo)!] as [string, 'SUCCESS' | 'FAIL'])
      const at = now()
      for (const [orderNo] of batch) completedAt.set(orderNo, at)
      await sim.call('complete', batch)
    }
  })()

  const deadline = sleep(RUN_LIMIT_MS).then(() => 'deadline' as const)
  const finished = await Promise.race([merchant.call<AwaitersRun>('results'), deadline])
  if (finished === 'deadline') throw new Error(`the waiters did not all settle within ${RUN_LIMIT_MS / 1000} s`)
  const { outcomes, elu, heapUsedPeak, loopDelayMs: loop } = finished
  const elapsedMs = Math.max(...outcomes.map((o) => o.resolvedAt)) - finished.startedAt
  await completing
  sampling = false
  await sampler
  clearInterval(rssTimer)
  const peak = procMemory(merchantPid)
  const wallMs = now() - t0
  const simMicros = cpuMicros(await sim.call<NodeJS.CpuUsage>('cpuUsage')) - cpuMicros(simCpu0)
  const merchantMicros = cpuMicros(await merchant.call<NodeJS.CpuUsage>('cpuUsage')) - cpuMicros(merchantCpu0)
  const cpu = meter.stop(simMicros + merchantMicros)
  const cores = { merchant: merchantMicros / 1000 / wallMs, simulator: simMicros / 1000 / wallMs }
  const simFinal = await sim.call<SimStatsSummary>('stats')
  const poller = await merchant.call<PollerStats>('pollerStats')
  // Results.
  let finalOk = 0
  let wrongStatus = 0
  let notFinal = 0
  let errors = 0
  const bySource = { notify: 0, inquiry: 0, cancel: 0, manual: 0 }
  const completionToResolved: Record<ResultSource, number[]> = { notify: [], inquiry: [], cancel: [], manual: [] }
  // The same, by when the payment completed (10 s windows from the first completion).
  const firstCompletion = Math.min(...completedAt.values())
  const windows: Array<Record<ResultSource, number[]>> = []
  orderNos.forEach((orderNo, i) => {
    const outcome = outcomes[i]!
    if (outcome.error !== undefined) return void errors++
    if (!outcome.final) return void notFinal++
    if (outcome.status !== expected.get(orderNo)) wrongStatus++
    else finalOk++
    const source = outcome.source
    if (source) {
      bySource[source]++
      const completed = completedAt.get(orderNo) ?? outcome.resolvedAt
      completionToResolved[source].push(outcome.resolvedAt - completed)
      const w = Math.max(0, Math.floor((completed - firstCompletion) / 10_000))
      ;(windows[w] ??= { notify: [], inquiry: [], cancel: [], manual: [] })[source].push(outcome.resolvedAt - completed)
    }
  })
  const unresolved = orderNos.length - outcomes.length
  const { rows: [dbRow] } = await db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM "PaymentOrder" WHERE "orderNo" LIKE 'await-%' AND "status" <> 'init'`)

  // Inquiries per second, from the per-second samples.
  const rates: number[] = []
  for (let i = 1; i < simSamples.length; i++) {
    const a = simSamples[i - 1]!
    const b = simSamples[i]!
    rates.push(((b.stats.received - a.stats.received) * 1000) / (b.at - a.at))
  }
  const inquiriesTotal = simFinal.received - simBase.received
  const inquiryRate = { peak: Math.max(0, ...rates), mean: (inquiriesTotal * 1000) / elapsedMs }
  const baselineRssMb = baseline.rssBytes / MB
  // The kernel's high-water mark covers the whole life of the process, start-up included.
  const peakRssMb = Math.max(peak.peakRssBytes, sampledPeakRss) / MB
  const perWaiterKb = ((peakRssMb - baselineRssMb) * 1024) / ORDERS
  const perWaiterBytes = Math.round(((peakRssMb - baselineRssMb) * MB) / ORDERS)
  const livePerWaiterBytes = baselineLive === null || waitingLive === null ? null : Math.round((waitingLive - baselineLive) / ORDERS)
  const notifySummary = summarize(completionToResolved.notify)
  const inquirySummary = summarize(completionToResolved.inquiry)

  heading('Run')
  table([
    ['figure', 'value'],
    ['orders (waiters)', ORDERS],
    ['all resolved in (s)', round(elapsedMs / 1000, 1)],
    ['resolved final with the expected status', finalOk],
    ['wrong status / not final / errors / unresolved', `${wrongStatus} / ${notFinal} / ${errors} / ${unresolved}`],
    ['orders final in PostgreSQL', Number(dbRow?.n ?? 0)],
    ['resolved via notify / via inquiry', `${bySource.notify} / ${bySource.inquiry}`],
    ['notifications scheduled / dropped / acknowledged / not acknowledged', `${simFinal.notifications.scheduled} / ${simFinal.notifications.dropped} / ${simFinal.notifications.acknowledged} / ${simFinal.notifications.exhausted}`],
    ['inquiries received by the simulator', inquiriesTotal],
    ['inquiries/s peak (1 s samples) / mean', `${round(inquiryRate.peak, 0)} / ${round(inquiryRate.mean, 0)}`],
    ['simulator maxConcurrent (cap 16)', simFinal.maxConcurrent],
    ['plugin peakInFlight', poller.peakInFlight],
    ['merchant RSS before the first waiter / peak (VmHWM) / peak sampled (MB)', `${round(baselineRssMb, 1)} / ${round(peakRssMb, 1)} / ${round(sampledPeakRss / MB, 1)}`],
    ['merchant RSS per waiter, (peak - before) / waiters (KB; bytes)', `${round(perWaiterKb, 1)}; ${perWaiterBytes}`],
    [`live heap per waiting order at t=${LIVE_HEAP_AT_MS / 1000} s, after a full GC (bytes; needs --expose-gc)`, livePerWaiterBytes ?? 'not measured'],
    ['merchant V8 heap used before / peak (MB)', `${round(baselineHeap / MB, 1)} / ${round(heapUsedPeak / MB, 1)}`],
    ['event-loop delay p50 / p99 / max (ms)', `${round(loop.p50)} / ${round(loop.p99)} / ${round(loop.max)}`],
    ['event-loop utilization over the run', `${round(elu * 100, 1)} %`],
    [`CPU cores busy (of ${CORES}): machine / merchant / simulator / PostgreSQL / bench driver / other`, `${round(cpu.machine)} / ${round(cores.merchant)} / ${round(cores.simulator)} / ${round(cpu.postgres)} / ${round(cpu.self)} / ${round(cpu.other)}`],
  ])
  heading('Payment completed at the simulator -> waiter resolved (ms)')
  table([
    ['path', 'n', 'p50', 'p90', 'p99', 'max'],
    ['notify', notifySummary.n, notifySummary.p50, notifySummary.p90, notifySummary.p99, notifySummary.max],
    ['inquiry', inquirySummary.n, inquirySummary.p50, inquirySummary.p90, inquirySummary.p99, inquirySummary.max],
  ])
  table([
    ['completed at (s after the first completion)', 'via notify', 'notify p50', 'notify p99', 'via inquiry', 'inquiry p50', 'inquiry p99'],
    ...windows.map((w, i) => {
      const n = summarize(w?.notify ?? [])
      const q = summarize(w?.inquiry ?? [])
      return [`${i * 10}-${i * 10 + 10}`, n.n, round(n.p50, 0), round(n.p99, 0), q.n, round(q.p50, 0), round(q.p99, 0)]
    }),
  ])
  note(`process layout: merchant app + waiters in child pid ${merchantPid} (node, compiled JavaScript: dist/ + .bench-build/; the figures above), simulator in child pid ${sim.pid} (tsx), this driver (tsx); all share the ${CORES} cores with PostgreSQL; ${round(machineBusy)} cores busy before the run.`)
  note(`polling: ${JSON.stringify(POLLING)}; notifications lost: ${NOTIFY_DROP_RATE * 100} %; payments complete over ${COMPLETE_SECONDS} s from t=${COMPLETE_AFTER_MS / 1000} s.`)

  heading('Targets')
  const verdicts = [
    verdict('peak RSS of the merchant process', peakRssMb, '<=', TARGET_RSS_MB, ' MB'),
    verdict('event-loop delay p99', loop.p99, '<=', TARGET_LOOP_P99_MS, ' ms'),
    verdict('simulator maxConcurrent inquiries (the cap)', simFinal.maxConcurrent, '<=', MAX_CONCURRENT_INQUIRIES),
    // Every waiter, each with the status its payment was given at the simulator.
    verdict('waiters resolved with a final result (the expected one)', finalOk, '>=', ORDERS),
  ]

  const sum = (s: Summary) => ({ n: s.n, p50: round(s.p50, 1), p90: round(s.p90, 1), p99: round(s.p99, 1), max: round(s.max, 1) })
  benchResult('awaiters', {
    orders: ORDERS,
    polling: POLLING,
    notifyDropRate: NOTIFY_DROP_RATE,
    completeSeconds: COMPLETE_SECONDS,
    elapsedSeconds: round(elapsedMs / 1000, 2),
    resolvedFinalExpected: finalOk,
    wrongStatus,
    notFinal,
    errors,
    unresolved,
    bySource,
    merchantProcess: 'node, compiled (dist/ + .bench-build/)',
    rssMb: { beforeFirstWaiter: round(baselineRssMb, 1), peak: round(peakRssMb, 1), peakSampled: round(sampledPeakRss / MB, 1) },
    rssPerWaiterKb: round(perWaiterKb, 1),
    rssPerWaiterBytes: perWaiterBytes,
    liveHeapPerWaitingOrderBytes: livePerWaiterBytes,
    heapUsedMb: { beforeFirstWaiter: round(baselineHeap / MB, 1), peak: round(heapUsedPeak / MB, 1) },
    machineBusyCoresBefore: round(machineBusy),
    eventLoopUtilization: round(elu, 3),
    eventLoopDelayMs: { p50: round(loop.p50, 2), p99: round(loop.p99, 2), max: round(loop.max, 2), mean: round(loop.mean, 2) },
    inquiries: { total: inquiriesTotal, peakPerSecond: round(inquiryRate.peak, 0), meanPerSecond: round(inquiryRate.mean, 0), simulatorMaxConcurrent: simFinal.maxConcurrent, answered: simFinal.answered },
    notifications: simFinal.notifications,
    completionToResolvedMs: { notify: sum(notifySummary), inquiry: sum(inquirySummary) },
    completionToResolvedByWindowMs: windows.map((w, i) => ({ fromSecond: i * 10, notify: sum(summarize(w?.notify ?? [])), inquiry: sum(summarize(w?.inquiry ?? [])) })),
    cpuCores: { machine: round(cpu.machine), merchant: round(cores.merchant), simulator: round(cores.simulator), postgres: round(cpu.postgres), driver: round(cpu.self), other: round(cpu.other) },
    targets: verdicts,
  })
})
