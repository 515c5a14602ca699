// Benchmark "otel": what OpenTelemetry costs notifyPayment. The notify benchmark's plugin run
// on PostgreSQL (64 connections each, every timed request a first transition), four ways at
// the same time: four server processes under load together, each on its own database, so
// that whatever else runs on the machine takes its share from all alike, and the scheduler's
// equal share of the cores turns a costlier request into fewer req/s:
//   off: openTelemetry { enabled: false }: @opentelemetry/api never loaded, no subscriber;
//   api: the default with @opentelemetry/api installed and no SDK: the no-op global providers;
//   ctx: api plus the SDK's AsyncLocalStorage context manager alone: what the application's
//        context manager costs every request, the plugin's instrumentation still a no-op;
//   sdk: an SDK registered globally (MeterProvider read every second, TracerProvider batching
//        spans, AsyncLocalStorage context manager), as a production application has it.
// Each on a fresh database with the same orders and the same pre-signed notifications; the
// rounds repeat the four together, started in a rotated order.
import { createNotifyDatabase } from './lib/database.js'
import { generateBenchKeys } from './lib/keys.js'
import { runBench } from './lib/lifecycle.js'
import { CONNECTIONS, type MeasuredRun, runSigned, type TargetSettings, WARMUP_SECONDS } from './lib/notify-plugin-run.js'
import { orderNumbers, presignNotifications } from './lib/notify-requests.js'
import { benchResult, heading, note, round, table, verdict } from './lib/report.js'
import { signCeiling } from './lib/rsa-ceiling.js'
import { waitForQuiet } from './lib/cpu.js'
import { bindingCost } from './lib/otel-binding-cost.js'
import { CPU_VARIANTS, interleavedCpu } from './lib/otel-cpu.js'

const SECONDS = Number(process.env.BENCH_OTEL_SECONDS ?? 10)
const VARIANTS = ['off', 'api', 'ctx', 'sdk'] as const satisfies ReadonlyArray<TargetSettings['openTelemetry']>
// One round per start position, the start order rotating: of the servers under load together,
// the last started reaches its timed run last, and did worst on a busy machine.
const ROUNDS = Number(process.env.BENCH_OTEL_ROUNDS ?? VARIANTS.length)
type Variant = (typeof VARIANTS)[number]
const TARGET_SDK_OVER_NONE = 0.95
const CPU_BATCHES = Number(process.env.BENCH_OTEL_CPU_BATCHES ?? 40)
const CPU_BATCH_SIZE = 25

runBench('otel', 600, async ({ defer }) => {
  heading(`otel: notifyPayment on PostgreSQL with and without an OpenTelemetry SDK, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s each`)
  const keys = await generateBenchKeys()
  await waitForQuiet(20_000)
  // More notifications signed beforehand than the plugin can answer in a run (it signs every answer).
  const perSecond = (await signCeiling(keys.merchant.privateKey)).opsPerSecond * 1.05
  const signed = {
    warm: await presignNotifications(orderNumbers('plugin-w-', Math.ceil(perSecond * WARMUP_SECONDS)), keys.alipay.privateKey),
    timed: await presignNotifications(orderNumbers('plugin-m-', Math.ceil(perSecond * SECONDS)), keys.alipay.privateKey),
  }

  const runs: Record<Variant, MeasuredRun[]> = { off: [], api: [], ctx: [], sdk: [] }
  for (let round = 0; round < ROUNDS; round++) {
    // Started in a rotated order: none is always the last to start (and so to reach its timed run).
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!)
    const databases = await Promise.all(order.map(() => createNotifyDatabase('postgresql')))
    for (const db of databases) defer(() => db.drop())
    // Each starts its timed run after the same wait for a quiet machine (which a loaded one
    // never gives: the full 10 s), so the timed runs overlap.
    const results = await Promise.all(
      order.map((variant, i) => runSigned('plugin', databases[i]!, keys, signed, SECONDS, perSecond, defer, { openTelemetry: variant })),
    )
    for (const [i, { target, run }] of results.entries()) {
      await target.child.stop()
      await databases[i]!.drop()
      runs[order[i]!].push({ ...run, label: `${order[i]}, round ${round + 1}` })
    }
  }

  // The CPU per notification, the three interleaved in small batches in one process.
  const cpuDb = await createNotifyDatabase('postgresql')
  defer(() => cpuDb.drop())
  const cpu = await interleavedCpu(cpuDb, keys, CPU_BATCHES, CPU_BATCH_SIZE)
  await cpuDb.drop()
  const binding = await bindingCost()

  const mean = (variant: Variant) => runs[variant].reduce((sum, r) => sum + r.run.rps, 0) / runs[variant].length
  // The server's CPU per request: what the instrumentation adds to each request, and much less
  // sensitive than req/s to other processes taking the cores.
  const cpuMs = (r: MeasuredRun) => (r.run.cpu.server * 1000) / r.run.rps
  const meanCpuMs = (variant: Variant) => runs[variant].reduce((sum, r) => sum + cpuMs(r), 0) / runs[variant].length
  heading('Runs (req/s; every timed request a first transition)')
  table([
    ['run', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'first', 'server cores', 'server CPU ms/req', 'other cores'],
    ...VARIANTS.flatMap((variant) =>
      runs[variant].map(({ label, run, count }) => [
        label,
        round(run.rps, 0),
        run.result.latency.p50,
        run.result.latency.p99,
        run.result.non2xx,
        run.result.errors,
        count.firstTransitions,
        round(run.cpu.server),
        round(cpuMs({ run } as MeasuredRun), 3),
        round(run.cpu.other),
      ]),
    ),
  ])
  const ratios = {
    sdkOverApi: mean('sdk') / mean('api'),
    sdkOverOff: mean('sdk') / mean('off'),
    apiOverOff: mean('api') / mean('off'),
    ctxOverApi: mean('ctx') / mean('api'),
    sdkOverCtx: mean('sdk') / mean('ctx'),
    cpuPerRequestSdkOverApi: meanCpuMs('sdk') / meanCpuMs('api'),
    cpuPerRequestSdkOverOff: meanCpuMs('sdk') / meanCpuMs('off'),
  }
  heading('Ratios of the mean req/s (same run)')
  table([
    ['ratio', 'value'],
    ['SDK registered / API without SDK', round(ratios.sdkOverApi, 3)],
    ['SDK registered / openTelemetry disabled', round(ratios.sdkOverOff, 3)],
    ['API without SDK / openTelemetry disabled', round(ratios.apiOverOff, 3)],
    ['API with the context manager alone / API without SDK', round(ratios.ctxOverApi, 3)],
    ['SDK registered / API with the context manager alone (the providers\' share)', round(ratios.sdkOverCtx, 3)],
    ['server CPU per request: SDK registered / API without SDK', round(ratios.cpuPerRequestSdkOverApi, 3)],
    ['server CPU per request: SDK registered / openTelemetry disabled', round(ratios.cpuPerRequestSdkOverOff, 3)],
  ])
  note('The four ran at the same time: "server cores" is each one\'s share; "other cores" counts the other servers too.')
  note('Per notification the plugin records a counter, and per transition a counter and a histogram; it adds the result to')
  note('the request span of an HTTP instrumentation, of which this server has none (so no span is made on this path).')

  heading(`CPU per notification, the three interleaved in one process (${CPU_BATCHES} batches of ${CPU_BATCH_SIZE} each, app.inject)`)
  table([['variant', 'notifications', 'process CPU ms per notification'], ...CPU_VARIANTS.map((v) => [v, cpu[v].requests, round(cpu[v].cpuMsPerRequest, 3)])])
  const cpuRatios = { sdkOverApi: cpu.api.cpuMsPerRequest / cpu.sdk.cpuMsPerRequest, sdkOverOff: cpu.off.cpuMsPerRequest / cpu.sdk.cpuMsPerRequest }
  note(`req/s a CPU-bound server would keep with an SDK: ${round(cpuRatios.sdkOverApi, 3)} of the API alone's, ${round(cpuRatios.sdkOverOff, 3)} of disabled's (inverse CPU ratio)`)

  heading('The plugin\'s instrumentation alone (the messages of one recorded notification into the binding; no I/O, no crypto)')
  table([
    ['subscriber', 'CPU µs per notification', 'share of the plugin\'s CPU per notification (sdk variant above)'],
    ['none (openTelemetry disabled)', round(binding.none, 2), ''],
    ['binding, API no-op providers', round(binding.api, 2), `${round((100 * binding.api) / (cpu.sdk.cpuMsPerRequest * 1000), 2)} %`],
    ['binding, SDK providers', round(binding.sdk, 2), `${round((100 * binding.sdk) / (cpu.sdk.cpuMsPerRequest * 1000), 2)} %`],
  ])

  heading('Targets')
  const verdicts = [
    verdict('notify req/s kept with an SDK, from the instrumentation\'s own CPU (1 - its share of a notification\'s CPU)', 100 - (100 * binding.sdk) / (cpu.sdk.cpuMsPerRequest * 1000), '>=', TARGET_SDK_OVER_NONE * 100, ' %'),
    verdict('CPU-bound notify req/s with an SDK registered, as a share of without one (interleaved CPU per notification)', cpuRatios.sdkOverApi * 100, '>=', TARGET_SDK_OVER_NONE * 100, ' %'),
    verdict('notify req/s with an SDK registered, as a share of without one (API installed, no SDK)', ratios.sdkOverApi * 100, '>=', TARGET_SDK_OVER_NONE * 100, ' %'),
    verdict('notify req/s with an SDK registered, as a share of openTelemetry disabled', ratios.sdkOverOff * 100, '>=', TARGET_SDK_OVER_NONE * 100, ' %'),
  ]
  const checks = VARIANTS.flatMap((variant) =>
    runs[variant].map((r) => verdict(`check: non-2xx answers, socket errors and reused notifications in ${r.label}`, r.run.result.non2xx + r.run.result.errors + r.run.reused, '<=', 0)),
  )
  benchResult('otel', {
    connections: CONNECTIONS,
    seconds: SECONDS,
    rounds: ROUNDS,
    meanRps: Object.fromEntries(VARIANTS.map((variant) => [variant, round(mean(variant), 1)])),
    meanServerCpuMsPerRequest: Object.fromEntries(VARIANTS.map((variant) => [variant, round(meanCpuMs(variant), 3)])),
    runs: Object.fromEntries(VARIANTS.map((variant) => [variant, runs[variant].map((r) => round(r.run.rps, 1))])),
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, round(v, 3)])),
    cpuMsPerNotification: Object.fromEntries(CPU_VARIANTS.map((v) => [v, round(cpu[v].cpuMsPerRequest, 4)])),
    bindingCpuMicrosPerNotification: { none: round(binding.none, 2), api: round(binding.api, 2), sdk: round(binding.sdk, 2) },
    cpuRatios: Object.fromEntries(Object.entries(cpuRatios).map(([k, v]) => [k, round(v, 3)])),
    targets: verdicts,
    checks,
  })
})
