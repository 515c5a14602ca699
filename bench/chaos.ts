// `npm run chaos [-- postgres|mariadb ...]`: the chaos run's long form (test/chaos/run-chaos.ts,
// the same code as the short test in test/chaos/chaos.test.ts): 1,000 orders fed in over about
// 150 s while a random instance of three is SIGKILLed and restarted every 2-5 s, on PostgreSQL
// with LISTEN/NOTIFY and on MariaDB with a Redis of its own. Prints the figures and a PASS/FAIL
// per check, one BENCH_RESULT line (JSON), and exits 1 when a check failed.
// CHAOS_SEED (default 1) replays the run's decisions (which instance, which payment's fate).
import { openPrisma } from './lib/merchant-app.js'
import { createNotifyDatabase } from './lib/database.js'
import { runBench } from './lib/lifecycle.js'
import { benchResult, heading, note } from './lib/report.js'
import { chaosChecks, reportLines } from '../test/chaos/report.js'
import { type ChaosPlan, type ChaosReport, runChaos } from '../test/chaos/run-chaos.js'

const CONFIGS = {
  postgres: { kind: 'postgresql', label: 'PostgreSQL, LISTEN/NOTIFY', wakeup: 'postgres' },
  mariadb: { kind: 'mysql', label: 'MariaDB, Redis pub/sub', wakeup: 'redis' },
} as const
type ConfigName = keyof typeof CONFIGS

const LONG: ChaosPlan = {
  orders: 1_000,
  feedPerSecond: 6.7,
  kills: { gapMs: [2_000, 5_000] },
  handlerMs: [100, 1_000],
  deliveryLeaseMs: 5_000,
  dbStallMs: 8_000,
  wakeStallMs: 30_000,
  clockOffsetMs: 2_000,
  patienceMs: 300_000,
  closePatienceMs: 60_000,
  seed: Number(process.env.CHAOS_SEED ?? 1),
  log: (line) => note(`${(performance.now() / 1000).toFixed(0).padStart(4)} s  ${line}`),
}

const names = process.argv.slice(2)
const unknown = names.filter((name) => !(name in CONFIGS))
if (unknown.length > 0) {
  console.error(`unknown configuration(s): ${unknown.join(', ')}; known: ${Object.keys(CONFIGS).join(', ')}`)
  process.exit(64)
}
const chosen = (names.length > 0 ? names : Object.keys(CONFIGS)) as ConfigName[]

runBench('chaos', 900 * chosen.length, async ({ defer }) => {
  const reports: ChaosReport[] = []
  for (const name of chosen) {
    const config = CONFIGS[name]
    heading(`chaos: ${config.label}`)
    const db = await createNotifyDatabase(config.kind)
    defer(() => db.drop())
    const harness = await openPrisma(db.location.databaseUrl)
    defer(() => harness.close())
    // The run's own cleanups (children, proxies, Redis, simulator) go before the database's.
    const cleanups: Array<() => unknown> = []
    try {
      reports.push(await runChaos({ label: config.label, databaseUrl: db.location.databaseUrl, prisma: harness.prisma, wakeup: config.wakeup }, LONG, (fn) => cleanups.push(fn)))
    } finally {
      for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => {})
    }
  }

  const failed: string[] = []
  for (const report of reports) {
    heading(`figures: ${report.label}`)
    for (const line of reportLines(report)) note(line)
    for (const { check, found } of chaosChecks(report)) {
      note(`${found.length === 0 ? 'PASS' : 'FAIL'}  ${check}${found.length === 0 ? '' : ` (${found.length})`}`)
      if (found.length > 0) failed.push(`${report.label}: ${check}`)
    }
  }
  benchResult('chaos', {
    runs: reports.map((report) => {
      const { log: _log, ...plan } = report.plan
      return { ...report, plan, checks: chaosChecks(report).map((c) => ({ check: c.check, found: c.found.length })) }
    }),
  })
  if (failed.length > 0) throw new Error(`checks failed:\n  ${failed.join('\n  ')}`)
})
