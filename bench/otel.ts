// Benchmark "otel": what OpenTelemetry costs notifyPayment. The notify benchmark's plugin run
// on PostgreSQL (64 connections, every timed request a first transition), three ways, in the
// same run, interleaved (off, api, sdk, off, api, sdk...) so that drift on a noisy machine
// touches all three alike:
//   off: openTelemetry { enabled: false }: @opentelemetry/api never loaded, no subscriber;
//   api: the default with @opentelemetry/api installed and no SDK: the no-op global providers;
//   sdk: an SDK registered globally (MeterProvider read every second, TracerProvider batching
//        spans, AsyncLocalStorage context manager), as a production application has it.
// Each run on a fresh database with the same orders and the same pre-signed notifications.
import { createNotifyDatabase } from './lib/database.js'
import { generateBenchKeys } from './lib/keys.js'
import { runBench } from './lib/lifecycle.js'
import { CONNECTIONS, type MeasuredRun, runPlugin, type TargetSettings, WARMUP_SECONDS } from './lib/notify-plugin-run.js'
import { orderNumbers, presignNotifications } from './lib/notify-requests.js'
import { benchResult, heading, note, round, table, verdict } from './lib/report.js'
import { signCeiling } from './lib/rsa-ceiling.js'
import { waitForQuiet } from './lib/cpu.js'

const SECONDS = Number(process.env.BENCH_OTEL_SECONDS ?? 10)
const ROUNDS = Number(process.env.BENCH_OTEL_ROUNDS ?? 3)
const VARIANTS = ['off', 'api', 'sdk'] as const satisfies ReadonlyArray<TargetSettings['openTelemetry']>
type Variant = (typeof VARIANTS)[number]
const TARGET_SDK_OVER_NONE = 0.95

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

  const runs: Record<Variant, MeasuredRun[]> = { off: [], api: [], sdk: [] }
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of VARIANTS) {
      const db = await createNotifyDatabase('postgresql')
      defer(() => db.drop())
      const { target, run } = await runPlugin(db, keys, signed, SECONDS, perSecond, defer, { openTelemetry: variant })
      await target.child.stop()
      await db.drop()
      runs[variant].push({ ...run, label: `${variant}, round ${round + 1}` })
    }
  }

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
    cpuPerRequestSdkOverApi: meanCpuMs('sdk') / meanCpuMs('api'),
    cpuPerRequestSdkOverOff: meanCpuMs('sdk') / meanCpuMs('off'),
  }
  heading('Ratios of the mean req/s (same run)')
  table([
    ['ratio', 'value'],
    ['SDK registered / API without SDK', round(ratios.sdkOverApi, 3)],
    ['SDK registered / openTelemetry disabled', round(ratios.sdkOverOff, 3)],
    ['API without SDK / openTelemetry disabled', round(ratios.apiOverOff, 3)],
    ['server CPU per request: SDK registered / API without SDK', round(ratios.cpuPerRequestSdkOverApi, 3)],
    ['server CPU per request: SDK registered / openTelemetry disabled', round(ratios.cpuPerRequestSdkOverOff, 3)],
  ])
  note('"other cores": processes outside the benchmark; above ~0.2 the req/s figures are disturbed, the CPU per request much less.')
  note('Per notification the plugin records a counter, and per transition a counter and a histogram; it adds the result to')
  note('the request span of an HTTP instrumentation, of which this server has none (so no span is made on this path).')

  heading('Targets')
  const verdicts = [
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
    targets: verdicts,
    checks,
  })
})
