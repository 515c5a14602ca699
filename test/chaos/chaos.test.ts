// The chaos run's short form (test/chaos/run-chaos.ts): three merchant processes on one
// database, SIGKILLs and restarts, a stalled database connection, a stalled wake-up connection
// with a SIGTERM in it, a clock ahead, a faulty gateway; on PostgreSQL with LISTEN/NOTIFY and on
// MariaDB with a Redis of its own. Bounded by work (100 orders, 4 kills), not by time. The long
// form, with 1,000 orders and its figures, is `npm run chaos` (BENCHMARKS.md).
import t, { type Test } from 'tap'
import { freshMysql, freshPostgres, needsServer, REQUIRE_SERVERS } from '../helpers/databases.js'
import { hasRedisServer } from '../helpers/redis-server.js'
import { chaosChecks, reportLines } from './report.js'
import { type ChaosPlan, type ChaosSetup, runChaos } from './run-chaos.js'

// Two runs of three processes each, restarted several times, on a loaded 2-core machine.
t.setTimeout(600_000)

const SHORT: ChaosPlan = {
  orders: 100,
  feedPerSecond: 5,
  kills: { gapMs: [2_000, 4_000], count: 4 },
  handlerMs: [100, 1_000],
  deliveryLeaseMs: 5_000,
  dbStallMs: 8_000,
  wakeStallMs: 30_000,
  clockOffsetMs: 2_000,
  patienceMs: 120_000,
  closePatienceMs: 60_000,
  seed: 15,
}

async function chaos(t: Test, setup: ChaosSetup): Promise<void> {
  const report = await runChaos(setup, SHORT, (cleanup) => t.teardown(cleanup))
  for (const line of reportLines(report)) t.comment(line)
  t.equal(report.kills, SHORT.kills.count, 'the instances were killed and restarted as planned')
  for (const { check, found } of chaosChecks(report)) t.same(found, [], check)
}

t.test('PostgreSQL, LISTEN/NOTIFY', await needsServer('postgresql'), async (t) => {
  const db = await freshPostgres(t)
  await chaos(t, { label: 'PostgreSQL, LISTEN/NOTIFY', databaseUrl: db.url!, prisma: db.prisma, wakeup: 'postgres' })
})

const redisSkip = (await needsServer('mysql')).skip ?? (hasRedisServer() || REQUIRE_SERVERS ? undefined : 'redis-server is not installed')

t.test('MariaDB, Redis pub/sub', { skip: redisSkip }, async (t) => {
  const db = await freshMysql(t)
  await chaos(t, { label: 'MariaDB, Redis pub/sub', databaseUrl: db.url!, prisma: db.prisma, wakeup: 'redis' })
})
