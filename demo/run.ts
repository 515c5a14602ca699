// npm start: one payment's story first, then the stress run. Starts the Alipay+ simulator and
// two merchant instances with the plugin behind a round-robin front, on one embedded PGlite (or
// DATABASE_URL); tells one payment step by step as its events happen (story.ts); then pays a
// batch of orders under a fault mix, awaits them all, waits for every onPaymentResult, prints
// what happened (and what OpenTelemetry saw) and exits 0 only if every check of both holds.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Check, Progress, ScenarioSummary } from './scenario.js'
import type { Step } from './story-steps.js'

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '300' },
    seed: { type: 'string', default: '42' },
    'pglite-dir': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})
if (values.help) {
  console.log(`usage: npm start -- [--orders N] [--seed N] [--pglite-dir DIR]
  Uses PostgreSQL when DATABASE_URL is set, else embedded PGlite in a fresh temporary directory.`)
  process.exit(0)
}
const orders = Number(values.orders)
if (!Number.isInteger(orders) || orders < 1 || orders > 100_000) {
  console.error('--orders must be an integer from 1 to 100000')
  process.exit(2)
}

const tty = process.stdout.isTTY === true
let lastLine = 0
function showProgress(p: Progress) {
  const line = `  ${p.final}/${p.orders} final · by notify ${p.byNotify} · by inquiry ${p.byInquiry} · inquiries ${p.inquiries} · handled ${p.delivered} · ${(p.elapsedMs / 1000).toFixed(1)} s`
  if (tty) process.stdout.write(`\r\x1b[K${line}`)
  else if (p.elapsedMs - lastLine >= 2_000) {
    lastLine = p.elapsedMs
    console.log(line)
  }
}

function printStep(step: Step) {
  console.log(`  ${String(step.atMs).padStart(6)} ms  ${step.who.padEnd(8)} ${step.text}`)
}

function printChecks(checks: Check[]) {
  for (const check of checks) console.log(`  ${check.ok ? '✔' : '✘'} ${check.name} (${check.detail})`)
}

function print(summary: ScenarioSummary, delayMs: number) {
  if (tty) process.stdout.write('\r\x1b[K')
  const pct = (n: number) => `${((100 * n) / summary.orders).toFixed(1)} %`
  const n = summary.notifications
  const d = summary.delivery
  const outcomes = Object.entries(summary.inquiryOutcomes)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ')
  console.log(`
Summary (${summary.database})
  orders            ${summary.orders}: SUCCESS ${summary.success}, FAIL ${summary.fail}
  final result by   notifyPayment ${summary.byNotify} (${pct(summary.byNotify)}), inquiryPayment ${summary.byInquiry} (${pct(summary.byInquiry)})
  notifications     ${n.scheduled} due: ${n.dropped} lost, ${n.delayed} delayed ${delayMs / 1000} s, ${n.duplicated} duplicated; ${n.sent} deliveries, ${n.acknowledged} acknowledged
  inquiries         ${summary.inquiries} (${summary.inquiriesPerOrder.mean.toFixed(2)} per order, at most ${summary.inquiriesPerOrder.max}): ${outcomes}
  onPaymentResult   ${d.final} final orders: ${d.delivered} marked delivered, ${d.successfulRuns} successful runs; ${d.failedOnPurpose} first runs threw on purpose
  instances         each notification to A or B in turn (round-robin front); each order awaited on A or B in turn${summary.instances
    .map(
      (i) =>
        `\n    ${i.name}  ${i.notificationsAnswered} notifications answered, ${i.waiters} waiters, ${i.inquiries} inquiries, ${i.handlerRuns} handler runs (${i.handlerFailures} threw on purpose)`,
    )
    .join('')}
  time              ${(summary.elapsedMs / 1000).toFixed(1)} s
Checks`)
  printChecks(summary.checks)
}

const databaseUrl = process.env.DATABASE_URL || undefined
const pgliteDir = databaseUrl ? undefined : (values['pglite-dir'] ?? (await mkdtemp(join(tmpdir(), 'alipayplus-demo-'))))
// Printed before the demo's modules load (the plugin, Prisma, PGlite): the first line comes at once.
console.log(`fastify-alipayplus demo: one payment told step by step, then ${orders} orders under faults`)
console.log(
  `  starting the Alipay+ simulator and two merchant instances, A and B, in this process, on ${databaseUrl ? 'PostgreSQL (DATABASE_URL; a client and pool each)' : `embedded PGlite in ${pgliteDir} (in process: they share it)`}`,
)
const { demoMetrics, formatMetrics } = await import('./otel-metrics.js')
const { DELAY_MS, openScenario } = await import('./scenario.js')
const { tellStory } = await import('./story.js')
try {
  const metrics = demoMetrics()
  const stage = await openScenario({
    databaseUrl,
    pgliteDir,
    plugin: { openTelemetry: { meterProvider: metrics.meterProvider } },
    onStarted: (part) => console.log(`  ${part}`),
  })
  try {
    console.log('\nOne payment, step by step (each line printed when its event happens; ms since the order was created)')
    const story = await tellStory(stage.world, stage.log, printStep)
    console.log('Checks')
    printChecks(story.checks)

    console.log(`\n${orders} orders under faults, each awaited on A or B in turn`)
    console.log('  fault mix: 30 % of notifications lost, 10 % duplicated, 15 % delayed, inquiries failing with U/5xx/traffic limit, 5 % of payments failing')
    console.log('  onPaymentResult: 5 % of orders have a first handler run that throws')
    const summary = await stage.play({ orders, seed: Number(values.seed), onProgress: showProgress })
    print(summary, DELAY_MS)
    console.log(`\n${formatMetrics(await metrics.summary())}`)
    const ok = story.ok && summary.ok
    console.log(ok ? '\nAll checks hold.' : '\nSOME CHECKS FAILED.')
    process.exitCode = ok ? 0 : 1
  } finally {
    await stage.close()
  }
} finally {
  if (!databaseUrl && values['pglite-dir'] === undefined && pgliteDir) await rm(pgliteDir, { recursive: true, force: true })
}
