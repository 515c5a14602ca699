// Benchmark "notify": notifyPayment over real HTTP (autocannon, 64 connections) against the
// merchant app with fastify-alipayplus, on each database the plugin supports (PostgreSQL,
// MariaDB, SQLite, PGlite), and on PostgreSQL compared in the same run with
//   (a) the machine's RSA-2048 ceiling: async crypto.sign (and verify) on all cores, and
//   (b) two routes without crypto on the same database, back to back: "baseline", the previous
//       design's recordResult as ONE statement (bench/lib/single-statement-store.ts), and
//       "store", today's portable OrderStore.recordResult (event, then the transition), and
//   (c) the minimal signed route (bench/lib/minimal-signed-route.ts: verify, one conditional
//       UPDATE by raw SQL, sign the answer) on a fresh database with the same orders.
// The plugin is also paced at half its saturated rate on PostgreSQL and MariaDB (p99 target).
// BENCH_NOTIFY_PROFILE=1: a CPU profile of each PostgreSQL server over its timed run, summed
// per layer (bench/lib/notify-profile.ts).
// Every timed request is a first transition of a distinct order: orders are created and
// notifications signed before the timed runs (signing is not counted). The same signed
// notifications serve every database: each database is a fresh one with the same orders.
// Process layout: the server runs in a child process, autocannon in this one; both share the
// machine's cores with the database server (PGlite and SQLite run inside the server process).
import { CORES, CpuMeter, cpuMicros, waitForQuiet, type CpuSplit } from './lib/cpu.js'
import { type BenchDbKind, createNotifyDatabase, DB_LABELS, type NotifyDatabase, type RunCount } from './lib/database.js'
import { generateBenchKeys, type BenchKeys } from './lib/keys.js'
import { runBench } from './lib/lifecycle.js'
import { load } from './lib/load.js'
import { orderNumbers, presignNotifications, unsignedNotifications } from './lib/notify-requests.js'
import { TARGET_PATHS } from './lib/notify-targets.js'
import { CONNECTIONS, type MeasuredRun, measured, runSigned, startTarget, type Target, WARMUP_SECONDS } from './lib/notify-plugin-run.js'
import { pacedLoad, type PacedResult } from './lib/paced.js'
import { benchResult, heading, note, round, type Summary, summarize, table, verdict } from './lib/report.js'
import { signCeiling, verifyCeiling } from './lib/rsa-ceiling.js'

const SECONDS = Number(process.env.BENCH_NOTIFY_SECONDS ?? 10)
/** Timed run length on MariaDB, SQLite and PGlite (PostgreSQL's runs carry the ratios). */
const OTHER_SECONDS = Number(process.env.BENCH_NOTIFY_OTHER_SECONDS ?? 5)
const OTHER_DATABASES = (process.env.BENCH_NOTIFY_DATABASES ?? 'mysql,sqlite,pglite')
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is Exclude<BenchDbKind, 'postgresql'> => s === 'mysql' || s === 'sqlite' || s === 'pglite')
const TARGET_SHARE_OF_CEILING = 0.6
const TARGET_P99_MS = 50
const TARGET_STORE_OVER_BASELINE = 0.8
const TARGET_NOTIFY_OVER_MINIMAL = 0.7

interface PacedRun {
  rate: number
  latency: Summary
  rps: number
  paced: PacedResult
  count: RunCount
  cpu: CpuSplit
}

/**
 * The plugin at `rate` req/s, evenly paced (open loop, up to 64 sockets): its latency without
 * the queue that 64 always-busy connections build. Fresh orders, signed here (not timed).
 */
async function pacedRun(target: Target, keys: BenchKeys, rate: number, prefix: string): Promise<PacedRun> {
  const orders = orderNumbers(prefix, Math.ceil(rate * SECONDS))
  await target.rows.insertOrders(orders)
  const requests = await presignNotifications(orders, keys.alipay.privateKey)
  await waitForQuiet(10_000)
  const server0 = await target.child.call<NodeJS.CpuUsage>('cpuUsage')
  const meter = new CpuMeter()
  const paced = await pacedLoad(new URL(`${target.url}${TARGET_PATHS.plugin}`), requests, rate, CONNECTIONS)
  const cpu = meter.stop(cpuMicros(await target.child.call<NodeJS.CpuUsage>('cpuUsage')) - cpuMicros(server0))
  const count = await target.rows.countRun(prefix)
  return { rate, latency: summarize(paced.latencies), rps: (paced.latencies.length - paced.non200) / paced.seconds, paced, count, cpu }
}

/** baseline and store: no crypto, so requests are built on the spot; sized from a warm-up. */
async function runPlainTarget(mode: 'baseline' | 'store', db: NotifyDatabase, keys: BenchKeys, defer: (fn: () => unknown) => void): Promise<MeasuredRun> {
  const target = await startTarget(mode, db, keys, defer)
  const warmOrders = orderNumbers(`${mode}-w-`, 20_000)
  await target.rows.insertOrders(warmOrders)
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
  await target.rows.insertOrders(orders)
  const run = await measured(mode, db.kind, target, mode, `${mode}-m-`, unsignedNotifications(orders), SECONDS)
  await target.child.stop()
  return run
}

function dupOf(count: RunCount): number {
  return count.messages - count.firstTransitions
}

const coreMs = (cores: number, rps: number) => round((cores * 1000) / rps, 3)

runBench('notify', 480, async ({ defer }) => {
  heading(
    `notify: notifyPayment over HTTP, ${CONNECTIONS} connections; PostgreSQL ${SECONDS} s per timed run, ` +
      `${OTHER_DATABASES.map((k) => DB_LABELS[k]).join(', ') || 'no other database'} ${OTHER_SECONDS} s`,
  )
  const keys = await generateBenchKeys()

  // (a) The RSA ceiling, measured first while nothing else runs.
  await waitForQuiet(20_000)
  const signing = await signCeiling(keys.merchant.privateKey)
  const verifying = await verifyCeiling(keys.alipay.privateKey, keys.alipay.publicKey)
  // Each notification costs one verify and one sign: the best rate crypto alone allows.
  const pairCeiling = 1 / (1 / signing.opsPerSecond + 1 / verifying.opsPerSecond)

  // Enough distinct notifications are signed beforehand that no timed run can exhaust them:
  // the server cannot sign its answers faster than the signing ceiling. The same set serves
  // every database (each a fresh database with the same orders).
  const perSecond = signing.opsPerSecond * 1.05
  const signStart = performance.now()
  const signed = {
    warm: await presignNotifications(orderNumbers('plugin-w-', Math.ceil(perSecond * WARMUP_SECONDS)), keys.alipay.privateKey),
    timed: await presignNotifications(orderNumbers('plugin-m-', Math.ceil(perSecond * Math.max(SECONDS, OTHER_SECONDS))), keys.alipay.privateKey),
  }
  const presignSeconds = (performance.now() - signStart) / 1000

  // PostgreSQL: (b) the two no-crypto routes back to back, then the plugin, then the plugin paced.
  const pgDb = await createNotifyDatabase('postgresql')
  defer(() => pgDb.drop())
  const baseline = await runPlainTarget('baseline', pgDb, keys, defer)
  const store = await runPlainTarget('store', pgDb, keys, defer)
  // (c) The minimal signed route, on a fresh database with the same orders, right before the plugin.
  const minDb = await createNotifyDatabase('postgresql')
  defer(() => minDb.drop())
  const { target: minTarget, run: minimal } = await runSigned('minimal', minDb, keys, signed, SECONDS, perSecond, defer)
  await minTarget.child.stop()
  await minDb.drop()
  const { target: plugin, run: notify } = await runSigned('plugin', pgDb, keys, signed, SECONDS, perSecond, defer)

  // The same route at half the saturated rate, evenly paced.
  const halfRate = Math.max(1, Math.round(notify.run.rps / 2))
  const half = await pacedRun(plugin, keys, halfRate, 'plugin-h-')
  await plugin.child.stop()
  await pgDb.drop()

  // The plugin on the other databases, one fresh database each, dropped right after; on
  // MariaDB also paced at half its own saturated rate.
  const others: MeasuredRun[] = []
  const pacedOthers: Array<{ kind: BenchDbKind; half: PacedRun }> = []
  for (const kind of OTHER_DATABASES) {
    const db = await createNotifyDatabase(kind)
    defer(() => db.drop())
    const { target, run } = await runSigned('plugin', db, keys, signed, OTHER_SECONDS, perSecond, defer)
    if (kind === 'mysql') pacedOthers.push({ kind, half: await pacedRun(target, keys, Math.max(1, Math.round(run.run.rps / 2)), 'plugin-h-') })
    await target.child.stop()
    await db.drop()
    others.push(run)
  }

  heading('RSA-2048 on this machine (async crypto, libuv pool, nothing else running)')
  table([
    ['operation', 'ops/s', 'cores busy', 'other procs', 'CPU ms/op'],
    ['sign (sha256, PKCS#1 v1.5)', round(signing.opsPerSecond, 0), signing.cores, signing.otherCores, round(signing.cpuMsPerOp, 3)],
    ['verify', round(verifying.opsPerSecond, 0), verifying.cores, verifying.otherCores, round(verifying.cpuMsPerOp, 3)],
    ['verify + sign (one notification)', round(pairCeiling, 0), '', '', round(signing.cpuMsPerOp + verifying.cpuMsPerOp, 3)],
  ])
  note(`${CORES} cores; pre-signing ${signed.warm.length + signed.timed.length} notifications took ${round(presignSeconds, 1)} s (not timed; reused on every database)`)

  heading(`PostgreSQL: HTTP runs (${CONNECTIONS} connections, pipelining 1, ${SECONDS} s each after a ${WARMUP_SECONDS} s warm-up)`)
  const pgRuns = [baseline, store, minimal, notify]
  const runRow = ({ label, run, count }: MeasuredRun) => [
    label,
    round(run.rps, 0),
    run.result.latency.p50,
    run.result.latency.p90,
    run.result.latency.p99,
    run.result.latency.max,
    run.result['2xx'],
    run.result.non2xx,
    run.result.errors,
    count.firstTransitions,
    dupOf(count),
    run.reused,
  ]
  const runHeader = ['target', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', '2xx', 'non-2xx', 'errors', 'first', 'dup', 'reused']
  const pacedRow = (label: string, p: PacedRun) => [
    `${label}, paced ${p.rate}/s`,
    round(p.rps, 0),
    round(p.latency.p50, 1),
    round(p.latency.p90, 1),
    round(p.latency.p99, 1),
    round(p.latency.max, 1),
    p.paced.latencies.length - p.paced.non200,
    p.paced.non200,
    p.paced.errors,
    p.count.firstTransitions,
    dupOf(p.count),
    0,
  ]
  table([runHeader, ...pgRuns.map(runRow), pacedRow('plugin', half)])
  note('baseline: the previous single-statement recordResult; store: today\'s OrderStore.recordResult; plugin: the whole route;')
  note('minimal: verify, one raw conditional UPDATE, sign (no audit event, so its "first" and "dup" stay 0: see 2xx).')
  note('first: the run\'s orders now final with finalEventId set (requests in flight at the end included); dup: messages recorded')
  note('(sum of the events\' deliveries) that decided nothing; reused: requests sent beyond the prepared set (0 = all distinct orders).')
  note('Latency: autocannon (whole ms) for the saturated runs; the paced run is open loop, timed from each request\'s due time.')

  heading(`PostgreSQL: CPU during each timed run (cores busy, of ${CORES})`)
  table([
    ['target', 'machine', 'server process', 'PostgreSQL', 'autocannon process', 'other'],
    ...pgRuns.map(({ label, run }) => [label, run.cpu.machine, run.cpu.server, run.cpu.postgres, run.cpu.self, run.cpu.other]),
    [`plugin, paced ${halfRate}/s`, half.cpu.machine, half.cpu.server, half.cpu.postgres, half.cpu.self, half.cpu.other],
  ])
  note('other: processes that are not part of the benchmark, plus kernel time not charged to a process; above ~0.2 the figures are disturbed.')
  for (const r of pgRuns) {
    if (!r.profile) continue
    const perMessage = (ms: number) => round(ms / Math.max(1, r.count.messages || r.run.result['2xx']), 3)
    heading(`PostgreSQL, ${r.label}: the server's main thread over the timed run (V8 CPU profile, self time)`)
    // The profile samples wall-clock time; the server's CPU per request (cpuUsage) is the
    // measure, shared out by the layers' shares of the busy samples.
    const serverCoreMs = (r.run.cpu.server * 1000) / r.run.rps
    note(`${round(r.profile.wallMs, 0)} ms profiled, ${round(r.profile.busyMs, 0)} ms busy; server process CPU ${round(serverCoreMs, 3)} core-ms per request (all threads, RSA included)`)
    table([
      ['layer', 'ms', 'share of busy', 'wall ms per message', 'share × server CPU per request (core-ms)'],
      ...r.profile.layers.map((l) => [
        l.layer,
        round(l.ms, 0),
        Number.isNaN(l.share) ? '' : `${round(l.share * 100, 1)} %`,
        perMessage(l.ms),
        Number.isNaN(l.share) ? '' : round(l.share * serverCoreMs, 3),
      ]),
    ])
    table([['top frames (self time)', 'layer', 'ms'], ...r.profile.top.map((f) => [f.frame.slice(0, 90), f.layer, round(f.ms, 0)])])
  }

  heading('PostgreSQL: per request (CPU in core-ms, from the table above; statements counted by the server process)')
  table([
    ['target', 'all processes', 'server process', 'PostgreSQL', 'statements'],
    ...pgRuns.map(({ label, run, queriesPerRequest }) => [
      label,
      coreMs(run.cpu.machine, run.rps),
      coreMs(run.cpu.server, run.rps),
      coreMs(run.cpu.postgres, run.rps),
      queriesPerRequest === null ? '' : round(queriesPerRequest, 2),
    ]),
  ])

  heading(`notify (the plugin) on each database (${CONNECTIONS} connections; PostgreSQL ${SECONDS} s, the others ${OTHER_SECONDS} s, after a ${WARMUP_SECONDS} s warm-up)`)
  const dbRuns = [notify, ...others]
  const pacedRuns = [{ kind: 'postgresql' as BenchDbKind, half }, ...pacedOthers]
  table([
    ['database', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', '2xx', 'non-2xx', 'errors', 'first', 'dup', 'reused', 'server cores', 'db server cores', 'other'],
    ...dbRuns.map((r) => {
      const dbCores = r.kind === 'postgresql' ? r.run.cpu.postgres : r.kind === 'mysql' ? r.run.cpu.mariadb : Number.NaN
      return [DB_LABELS[r.kind], ...runRow(r).slice(1), round(r.run.cpu.server), Number.isNaN(dbCores) ? 'in process' : round(dbCores), round(r.run.cpu.other)]
    }),
  ])
  note('Each database is fresh, with the same orders and the same pre-signed notifications. PostgreSQL and MariaDB: pool of 10 (the adapters\' default);')
  note('SQLite: one file in a temporary directory (adapter-libsql, defaults); PGlite: in the server process, a temporary data directory,')
  note('one connection. Their work shows in "server cores".')
  table([runHeader, ...pacedRuns.map(({ kind, half: p }) => pacedRow(`plugin (${DB_LABELS[kind]})`, p))])
  note('Each paced at half its own saturated rate, open loop, latency from each request\'s due time.')

  const ratios = {
    storeOverBaseline: store.run.rps / baseline.run.rps,
    notifyOverSignCeiling: notify.run.rps / signing.opsPerSecond,
    notifyOverVerifySignCeiling: notify.run.rps / pairCeiling,
    notifyOverBaseline: notify.run.rps / baseline.run.rps,
    notifyOverStore: notify.run.rps / store.run.rps,
    notifyOverMinimal: notify.run.rps / minimal.run.rps,
    minimalOverSignCeiling: minimal.run.rps / signing.opsPerSecond,
    ...Object.fromEntries(others.map((r) => [`notify_${r.kind}_overPostgresql`, r.run.rps / notify.run.rps])),
  }
  heading('Ratios (same run)')
  table([
    ['ratio', 'value'],
    ['store.recordResult req/s / baseline (single statement) req/s', round(ratios.storeOverBaseline, 3)],
    ['notify req/s / RSA sign ceiling', round(ratios.notifyOverSignCeiling, 3)],
    ['notify req/s / verify+sign ceiling', round(ratios.notifyOverVerifySignCeiling, 3)],
    ['notify req/s / baseline req/s', round(ratios.notifyOverBaseline, 3)],
    ['notify req/s / store.recordResult req/s', round(ratios.notifyOverStore, 3)],
    ['notify req/s / minimal signed route req/s', round(ratios.notifyOverMinimal, 3)],
    ['minimal signed route req/s / RSA sign ceiling', round(ratios.minimalOverSignCeiling, 3)],
    ...others.map((r) => [`notify on ${DB_LABELS[r.kind]} / notify on PostgreSQL`, round(r.run.rps / notify.run.rps, 3)]),
  ])

  // Where the time goes, store vs baseline. req/s = cores the benchmark's processes kept busy /
  // their CPU per request, so the ratio splits exactly into "more CPU per request" and "fewer
  // cores kept busy" (waiting on round trips, or cores taken by other processes).
  heading('Where the time goes: store vs baseline (same database, same load, back to back)')
  const ours = (c: CpuSplit) => c.server + c.postgres + c.self
  const perReq = (r: MeasuredRun, cores: (c: CpuSplit) => number) => (cores(r.run.cpu) * 1000) / r.run.rps
  const cpuRatio = perReq(baseline, ours) / perReq(store, ours)
  const busyRatio = ours(store.run.cpu) / ours(baseline.run.cpu)
  table([
    ['per request', 'baseline', 'store', 'store − baseline'],
    ['statements (round trips)', round(baseline.queriesPerRequest ?? Number.NaN, 2), round(store.queriesPerRequest ?? Number.NaN, 2), round((store.queriesPerRequest ?? Number.NaN) - (baseline.queriesPerRequest ?? Number.NaN), 2)],
    ...(
      [
        ['CPU, server + PostgreSQL + autocannon (core-ms)', ours],
        ['CPU, server process (core-ms)', (c: CpuSplit) => c.server],
        ['CPU, PostgreSQL (core-ms)', (c: CpuSplit) => c.postgres],
        ['CPU, autocannon (core-ms)', (c: CpuSplit) => c.self],
      ] as const
    ).map(([label, pick]) => [label, round(perReq(baseline, pick), 3), round(perReq(store, pick), 3), round(perReq(store, pick) - perReq(baseline, pick), 3)]),
    ['mean latency at 64 connections (ms)', round(baseline.run.result.latency.mean, 1), round(store.run.result.latency.mean, 1), round(store.run.result.latency.mean - baseline.run.result.latency.mean, 1)],
  ])
  note(`store/baseline req/s ${round(ratios.storeOverBaseline, 3)} = (baseline CPU per request / store's) ${round(cpuRatio, 3)} × (store cores busy / baseline's) ${round(busyRatio, 3)},`)
  note(`counting the server, PostgreSQL and autocannon: ${round(ours(baseline.run.cpu))} and ${round(ours(store.run.cpu))} cores busy of ${CORES}, "other" ${round(baseline.run.cpu.other)} and ${round(store.run.cpu.other)}.`)
  note('A CPU factor near the ratio: the store costs more CPU per request. A cores factor well below 1 on a quiet machine: it waits (round trips on 10 pooled connections).')

  heading('Targets')
  const verdicts = [
    verdict('store.recordResult req/s as a share of the single-statement baseline (PostgreSQL)', ratios.storeOverBaseline * 100, '>=', TARGET_STORE_OVER_BASELINE * 100, ' %'),
    verdict('notify req/s as a share of the minimal signed route (PostgreSQL)', ratios.notifyOverMinimal * 100, '>=', TARGET_NOTIFY_OVER_MINIMAL * 100, ' %'),
    ...pacedRuns.map(({ kind, half: p }) =>
      verdict(`notify p99 latency paced at ${p.rate} req/s, half the saturated rate (${DB_LABELS[kind]})`, p.latency.p99, '<=', TARGET_P99_MS, ' ms'),
    ),
  ]
  verdict('(for reference) notify req/s as a share of the RSA sign ceiling (PostgreSQL)', ratios.notifyOverSignCeiling * 100, '>=', TARGET_SHARE_OF_CEILING * 100, ' %')
  verdict(`(for reference) notify p99 latency at ${CONNECTIONS} connections (saturated, PostgreSQL)`, notify.run.result.latency.p99, '<=', TARGET_P99_MS, ' ms')
  const checks = [
    ...dbRuns.map((r) => verdict(`check: no timed notify request reused a notification on ${DB_LABELS[r.kind]} (all first transitions)`, r.run.reused + dupOf(r.count), '<=', 0)),
    ...dbRuns.map((r) => verdict(`check: non-2xx answers and socket errors in the timed notify run on ${DB_LABELS[r.kind]}`, r.run.result.non2xx + r.run.result.errors, '<=', 0)),
  ]

  const cpuJson = (cpu: CpuSplit) => ({
    machine: round(cpu.machine),
    server: round(cpu.server),
    postgres: round(cpu.postgres),
    mariadb: round(cpu.mariadb),
    autocannon: round(cpu.self),
    other: round(cpu.other),
  })
  const runJson = ({ label, kind, seconds, run, count, queriesPerRequest, profile }: MeasuredRun) => ({
    label,
    database: kind,
    seconds,
    rps: round(run.rps, 1),
    latencyMs: { p50: run.result.latency.p50, p90: run.result.latency.p90, p99: run.result.latency.p99, max: run.result.latency.max, mean: round(run.result.latency.mean, 2) },
    responses2xx: run.result['2xx'],
    non2xx: run.result.non2xx,
    errors: run.result.errors,
    firstTransitions: count.firstTransitions,
    duplicates: dupOf(count),
    reused: run.reused,
    statementsPerRequest: queriesPerRequest === null ? null : round(queriesPerRequest, 3),
    cpuCores: cpuJson(run.cpu),
    profile: profile === null ? null : { busyMs: round(profile.busyMs, 0), layersMs: Object.fromEntries(profile.layers.map((l) => [l.layer, round(l.ms, 0)])) },
  })
  const pacedJson = (p: PacedRun) => ({
    rate: p.rate,
    rps: round(p.rps, 1),
    latencyMs: { p50: round(p.latency.p50, 2), p90: round(p.latency.p90, 2), p99: round(p.latency.p99, 2), max: round(p.latency.max, 2), mean: round(p.latency.mean, 2) },
    non200: p.paced.non200,
    errors: p.paced.errors,
    firstTransitions: p.count.firstTransitions,
    duplicates: dupOf(p.count),
    cpuCores: cpuJson(p.cpu),
  })
  benchResult('notify', {
    cores: CORES,
    connections: CONNECTIONS,
    seconds: SECONDS,
    otherSeconds: OTHER_SECONDS,
    rsa: {
      signPerSecond: round(signing.opsPerSecond, 0),
      signCpuMs: round(signing.cpuMsPerOp, 3),
      verifyPerSecond: round(verifying.opsPerSecond, 0),
      verifyCpuMs: round(verifying.cpuMsPerOp, 3),
      verifyPlusSignPerSecond: round(pairCeiling, 0),
    },
    runs: {
      baseline: runJson(baseline),
      store: runJson(store),
      notify: runJson(notify),
      minimal: runJson(minimal),
      notifyPacedHalfRate: pacedJson(half),
      ...Object.fromEntries(others.map((r) => [`notify_${r.kind}`, runJson(r)])),
      ...Object.fromEntries(pacedOthers.map(({ kind, half: p }) => [`notify_${kind}_PacedHalfRate`, pacedJson(p)])),
    },
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, round(v, 3)])),
    targets: verdicts,
    checks,
  })
})
