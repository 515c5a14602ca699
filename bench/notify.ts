// Benchmark "notify": notifyPayment over real HTTP (autocannon, 64 connections) against the
// merchant app with fastify-alipayplus on PostgreSQL, compared in the same run with
//   (a) the machine's RSA-2048 ceiling: async crypto.sign (and verify) on all cores, and
//   (b) bare routes without crypto: the store's transition statement alone ("bare"), and
//       OrderStore.recordResult alone ("store").
// Every timed request is a first transition of a distinct order: orders are created and
// notifications signed before the timed run (signing is not counted). Process layout: the
// server runs in a child process, autocannon in this one; both share the machine's cores
// (and PostgreSQL runs on them too).
import { BenchChild } from './lib/child.js'
import { CORES, CpuMeter, cpuMicros, waitForQuiet } from './lib/cpu.js'
import { createBenchDatabase, type BenchDatabase } from './lib/database.js'
import { generateBenchKeys, merchantPems, type BenchKeys } from './lib/keys.js'
import { runBench } from './lib/lifecycle.js'
import { load, type LoadRun } from './lib/load.js'
import { orderNumbers, presignNotifications, unsignedNotifications, type PreparedRequest } from './lib/notify-requests.js'
import { TARGET_PATHS, type TargetMode } from './lib/notify-targets.js'
import { pacedLoad } from './lib/paced.js'
import { benchResult, heading, note, round, summarize, table, verdict } from './lib/report.js'
import { signCeiling, verifyCeiling } from './lib/rsa-ceiling.js'

const SECONDS = Number(process.env.BENCH_NOTIFY_SECONDS ?? 10)
const WARMUP_SECONDS = 2
const CONNECTIONS = 64
const TARGET_SHARE_OF_CEILING = 0.6
const TARGET_P99_MS = 50

interface MeasuredRun {
  label: string
  run: LoadRun
  firstTransitions: number
  duplicates: number
}

async function startTarget(mode: TargetMode, db: BenchDatabase, keys: BenchKeys, defer: (fn: () => unknown) => void): Promise<{ child: BenchChild; url: string }> {
  const child = await BenchChild.start('servers/notify-target.ts', `notify-target(${mode})`)
  defer(() => child.stop())
  const { url } = await child.call<{ url: string }>('start', { mode, databaseUrl: db.url, ...merchantPems(keys) })
  return { child, url }
}

/** A timed run whose requests are `prefix` orders; first transitions vs duplicates read back from the audit events. */
async function measured(
  label: string,
  db: BenchDatabase,
  target: { child: BenchChild; url: string },
  mode: TargetMode,
  prefix: string,
  requests: PreparedRequest[],
): Promise<MeasuredRun> {
  await waitForQuiet(10_000)
  const run = await load({
    url: target.url,
    path: TARGET_PATHS[mode],
    requests,
    seconds: SECONDS,
    connections: CONNECTIONS,
    server: target.child,
  })
  const events = await db.countEvents(prefix)
  return { label, run, firstTransitions: events.applied, duplicates: events.notApplied }
}

/** bare and store: no crypto, so requests are built on the spot; sized from a warm-up. */
async function runPlainTarget(mode: 'bare' | 'store', db: BenchDatabase, keys: BenchKeys, defer: (fn: () => unknown) => void): Promise<MeasuredRun> {
  const target = await startTarget(mode, db, keys, defer)
  const warmOrders = orderNumbers(`${mode}-w-`, 20_000)
  await db.insertOrders(warmOrders)
  const warm = await load({
    url: target.url,
    path: TARGET_PATHS[mode],
    requests: unsignedNotifications(warmOrders),
    seconds: WARMUP_SECONDS,
    connections: CONNECTIONS,
    server: target.child,
  })
  const count = Math.ceil(warm.rps * SECONDS * 2) + 5_000
  const orders = orderNumbers(`${mode}-m-`, count)
  await db.insertOrders(orders)
  const run = await measured(mode, db, target, mode, `${mode}-m-`, unsignedNotifications(orders))
  await target.child.stop()
  return run
}

runBench('notify', 300, async ({ defer }) => {
  heading(`notify: notifyPayment over HTTP, ${CONNECTIONS} connections, ${SECONDS} s per timed run, PostgreSQL`)
  const keys = await generateBenchKeys()

  // (a) The RSA ceiling, measured first while nothing else runs.
  await waitForQuiet(20_000)
  const signing = await signCeiling(keys.merchant.privateKey)
  const verifying = await verifyCeiling(keys.alipay.privateKey, keys.alipay.publicKey)
  // Each notification costs one verify and one sign: the best rate crypto alone allows.
  const pairCeiling = 1 / (1 / signing.opsPerSecond + 1 / verifying.opsPerSecond)

  const db = await createBenchDatabase()
  defer(() => db.drop())

  // (b) The no-crypto baselines.
  const bare = await runPlainTarget('bare', db, keys, defer)
  const store = await runPlainTarget('store', db, keys, defer)

  // The plugin. Enough distinct notifications are signed beforehand that the timed run cannot
  // exhaust them: the server cannot sign its answers faster than the signing ceiling.
  const warmCount = Math.ceil(signing.opsPerSecond * WARMUP_SECONDS * 1.05)
  const count = Math.ceil(signing.opsPerSecond * SECONDS * 1.05)
  const warmOrders = orderNumbers('plugin-w-', warmCount)
  const orders = orderNumbers('plugin-m-', count)
  await db.insertOrders([...warmOrders, ...orders])
  const signStart = performance.now()
  const warmRequests = await presignNotifications(warmOrders, keys.alipay.privateKey)
  const requests = await presignNotifications(orders, keys.alipay.privateKey)
  const presignSeconds = (performance.now() - signStart) / 1000

  const plugin = await startTarget('plugin', db, keys, defer)
  await load({ url: plugin.url, path: TARGET_PATHS.plugin, requests: warmRequests, seconds: WARMUP_SECONDS, connections: CONNECTIONS, server: plugin.child })
  const notify = await measured('plugin', db, plugin, 'plugin', 'plugin-m-', requests)

  // The same route at half the saturated rate, evenly paced (open loop, up to 64 sockets):
  // its latency without the queue that 64 always-busy connections build.
  const halfRate = Math.max(1, Math.round(notify.run.rps / 2))
  const halfOrders = orderNumbers('plugin-h-', Math.ceil(halfRate * SECONDS))
  await db.insertOrders(halfOrders)
  const halfRequests = await presignNotifications(halfOrders, keys.alipay.privateKey)
  await waitForQuiet(10_000)
  const halfServer0 = await plugin.child.call<NodeJS.CpuUsage>('cpuUsage')
  const halfMeter = new CpuMeter()
  const paced = await pacedLoad(new URL(`${plugin.url}${TARGET_PATHS.plugin}`), halfRequests, halfRate, CONNECTIONS)
  const halfCpu = halfMeter.stop(cpuMicros(await plugin.child.call<NodeJS.CpuUsage>('cpuUsage')) - cpuMicros(halfServer0))
  const halfEvents = await db.countEvents('plugin-h-')
  const half = { latency: summarize(paced.latencies), rps: (paced.latencies.length - paced.non200) / paced.seconds, paced, events: halfEvents, cpu: halfCpu }
  await plugin.child.stop()

  heading('RSA-2048 on this machine (async crypto, libuv pool, nothing else running)')
  table([
    ['operation', 'ops/s', 'cores busy', 'other procs', 'CPU ms/op'],
    ['sign (sha256, PKCS#1 v1.5)', round(signing.opsPerSecond, 0), signing.cores, signing.otherCores, round(signing.cpuMsPerOp, 3)],
    ['verify', round(verifying.opsPerSecond, 0), verifying.cores, verifying.otherCores, round(verifying.cpuMsPerOp, 3)],
    ['verify + sign (one notification)', round(pairCeiling, 0), '', '', round(signing.cpuMsPerOp + verifying.cpuMsPerOp, 3)],
  ])
  note(`${CORES} cores; pre-signing ${warmCount + count} notifications took ${round(presignSeconds, 1)} s (not timed)`)

  heading(`HTTP runs (${CONNECTIONS} connections, pipelining 1, ${SECONDS} s each after a ${WARMUP_SECONDS} s warm-up)`)
  const runs = [bare, store, notify]
  table([
    ['target', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', '2xx', 'non-2xx', 'errors', 'first', 'dup', 'reused'],
    ...runs.map(({ label, run, firstTransitions, duplicates }) => [
      label,
      round(run.rps, 0),
      run.result.latency.p50,
      run.result.latency.p90,
      run.result.latency.p99,
      run.result.latency.max,
      run.result['2xx'],
      run.result.non2xx,
      run.result.errors,
      firstTransitions,
      duplicates,
      run.reused,
    ]),
    [
      `plugin, paced ${halfRate}/s`,
      round(half.rps, 0),
      round(half.latency.p50, 1),
      round(half.latency.p90, 1),
      round(half.latency.p99, 1),
      round(half.latency.max, 1),
      half.paced.latencies.length - half.paced.non200,
      half.paced.non200,
      half.paced.errors,
      half.events.applied,
      half.events.notApplied,
      0,
    ],
  ])
  note('first/dup: audit events of the run\'s orders read back from PostgreSQL (applied true/false), requests in flight at the end included;')
  note('reused: requests sent beyond the prepared set (0 = every timed request was a distinct order).')
  note('Latency: autocannon (whole ms) for the saturated runs; the paced run is open loop, timed from each request\'s due time.')

  heading(`CPU during each timed run (cores busy, of ${CORES})`)
  table([
    ['target', 'machine', 'server process', 'PostgreSQL', 'autocannon process', 'other'],
    ...runs.map(({ label, run }) => [label, run.cpu.machine, run.cpu.server, run.cpu.postgres, run.cpu.self, run.cpu.other]),
    [`plugin, paced ${halfRate}/s`, half.cpu.machine, half.cpu.server, half.cpu.postgres, half.cpu.self, half.cpu.other],
  ])
  note('other: processes that are not part of the benchmark, plus kernel time not charged to a process; above ~0.2 the figures are disturbed.')
  heading('CPU per request (core-ms, from the table above)')
  table([
    ['target', 'all processes', 'server process', 'PostgreSQL'],
    ...runs.map(({ label, run }) => [label, round((run.cpu.machine * 1000) / run.rps, 3), round((run.cpu.server * 1000) / run.rps, 3), round((run.cpu.postgres * 1000) / run.rps, 3)]),
  ])

  const ratios = {
    notifyOverSignCeiling: notify.run.rps / signing.opsPerSecond,
    notifyOverVerifySignCeiling: notify.run.rps / pairCeiling,
    notifyOverBare: notify.run.rps / bare.run.rps,
    notifyOverStore: notify.run.rps / store.run.rps,
    storeOverBare: store.run.rps / bare.run.rps,
  }
  heading('Ratios (same run)')
  table([
    ['ratio', 'value'],
    ['notify req/s / RSA sign ceiling', round(ratios.notifyOverSignCeiling, 3)],
    ['notify req/s / verify+sign ceiling', round(ratios.notifyOverVerifySignCeiling, 3)],
    ['notify req/s / bare UPDATE req/s', round(ratios.notifyOverBare, 3)],
    ['notify req/s / store.recordResult req/s', round(ratios.notifyOverStore, 3)],
    ['store.recordResult req/s / bare UPDATE req/s', round(ratios.storeOverBare, 3)],
  ])

  heading('Targets')
  const verdicts = [
    verdict('notify req/s as a share of the RSA sign ceiling', ratios.notifyOverSignCeiling * 100, '>=', TARGET_SHARE_OF_CEILING * 100, ' %'),
    verdict(`notify p99 latency at ${CONNECTIONS} connections (saturated)`, notify.run.result.latency.p99, '<=', TARGET_P99_MS, ' ms'),
  ]
  verdict(`(for reference) notify p99 latency paced at ${halfRate} req/s (half the saturated rate)`, half.latency.p99, '<=', TARGET_P99_MS, ' ms')
  const checks = [
    verdict('check: no timed notify request reused a notification (all first transitions)', notify.run.reused, '<=', 0),
    verdict('check: non-2xx answers and socket errors in the timed notify run', notify.run.result.non2xx + notify.run.result.errors, '<=', 0),
  ]

  const runJson = ({ label, run, firstTransitions, duplicates }: MeasuredRun) => ({
    label,
    rps: round(run.rps, 1),
    latencyMs: { p50: run.result.latency.p50, p90: run.result.latency.p90, p99: run.result.latency.p99, max: run.result.latency.max, mean: round(run.result.latency.mean, 2) },
    responses2xx: run.result['2xx'],
    non2xx: run.result.non2xx,
    errors: run.result.errors,
    firstTransitions,
    duplicates,
    reused: run.reused,
    cpuCores: { machine: round(run.cpu.machine), server: round(run.cpu.server), postgres: round(run.cpu.postgres), autocannon: round(run.cpu.self), other: round(run.cpu.other) },
  })
  benchResult('notify', {
    cores: CORES,
    connections: CONNECTIONS,
    seconds: SECONDS,
    rsa: {
      signPerSecond: round(signing.opsPerSecond, 0),
      signCpuMs: round(signing.cpuMsPerOp, 3),
      verifyPerSecond: round(verifying.opsPerSecond, 0),
      verifyCpuMs: round(verifying.cpuMsPerOp, 3),
      verifyPlusSignPerSecond: round(pairCeiling, 0),
    },
    runs: { bare: runJson(bare), store: runJson(store), notify: runJson(notify), notifyPacedHalfRate: {
        rate: halfRate,
        rps: round(half.rps, 1),
        latencyMs: { p50: round(half.latency.p50, 2), p90: round(half.latency.p90, 2), p99: round(half.latency.p99, 2), max: round(half.latency.max, 2), mean: round(half.latency.mean, 2) },
        non200: half.paced.non200,
        errors: half.paced.errors,
        firstTransitions: half.events.applied,
        duplicates: half.events.notApplied,
        cpuCores: { machine: round(half.cpu.machine), server: round(half.cpu.server), postgres: round(half.cpu.postgres), sender: round(half.cpu.self), other: round(half.cpu.other) },
      },
    },
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, round(v, 3)])),
    targets: verdicts,
    checks,
  })
})
