import { createHash } from 'node:crypto'
import { cp, mkdtemp, readFile, rm, writeFile, mkdir, appendFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import t, { type Test } from 'tap'
import { applyMigrations, DEFAULT_MIGRATIONS_DIR } from '../../src/database/apply-migrations.js'
import { openPgSession, pgliteSession, type SqlSession } from '../../src/database/sql-session.js'
import { createEmptyPostgres } from '../helpers/databases.js'

const INIT = '20261126000000_init'
const LEASE = '20261126010000_polling_lease'
const ALL = [INIT, LEASE]

async function withSession<T>(url: string, fn: (session: SqlSession) => Promise<T>): Promise<T> {
  const session = await openPgSession(url)
  try {
    return await fn(session)
  } finally {
    await session.close()
  }
}

async function copyMigrations(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fap-migrations-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true })
  return dir
}

// What the schema in prisma/schema.prisma means in PostgreSQL, written out by hand so that a
// migration drifting from the schema fails here.
const EXPECTED_COLUMNS: Record<string, Array<[string, string, 'YES' | 'NO']>> = {
  PaymentOrder: [
    ['orderNo', 'text', 'NO'],
    ['status', 'PaymentStatus', 'NO'],
    ['amount', 'text', 'NO'],
    ['currency', 'text', 'NO'],
    ['paymentId', 'text', 'YES'],
    ['resultCode', 'text', 'YES'],
    ['resultMessage', 'text', 'YES'],
    ['resultSource', 'ResultSource', 'YES'],
    ['paymentTime', 'timestamp without time zone', 'YES'],
    ['finalizedAt', 'timestamp without time zone', 'YES'],
    ['finalEventId', 'text', 'YES'],
    ['leaseOwner', 'text', 'YES'],
    ['leaseUntil', 'timestamp without time zone', 'YES'],
    ['createdAt', 'timestamp without time zone', 'NO'],
    ['updatedAt', 'timestamp without time zone', 'NO'],
  ],
  PaymentEvent: [
    ['id', 'text', 'NO'],
    ['orderNo', 'text', 'NO'],
    ['source', 'ResultSource', 'NO'],
    ['resultStatus', 'text', 'NO'],
    ['resultCode', 'text', 'YES'],
    ['applied', 'boolean', 'NO'],
    ['reason', 'text', 'YES'],
    ['payload', 'jsonb', 'NO'],
    ['createdAt', 'timestamp without time zone', 'NO'],
  ],
}

async function columnsOf(session: SqlSession, table: string) {
  const rows = await session.query<{ column_name: string; type: string; is_nullable: 'YES' | 'NO' }>(
    `SELECT column_name, CASE WHEN data_type = 'USER-DEFINED' THEN udt_name ELSE data_type END AS type, is_nullable
     FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
    [table],
  )
  return rows.map((r) => [r.column_name, r.type, r.is_nullable]).sort()
}

t.test('PostgreSQL: a fresh database gets the schema and Prisma bookkeeping', async (t) => {
  const url = await createEmptyPostgres(t)
  await withSession(url, async (session) => {
    const first = await applyMigrations(session)
    t.same(first, { applied: ALL, skipped: [] })

    for (const [table, expected] of Object.entries(EXPECTED_COLUMNS)) {
      t.same(await columnsOf(session, table), [...expected].sort(), `${table} columns match the schema`)
    }
    const indexes = await session.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname`,
    )
    t.same(indexes.map((r) => r.indexname), [
      'PaymentEvent_orderNo_createdAt_idx',
      'PaymentEvent_pkey',
      'PaymentOrder_pkey',
      'PaymentOrder_status_createdAt_idx',
      '_prisma_migrations_pkey',
    ])

    const rows = await session.query<Record<string, unknown>>(`SELECT * FROM "_prisma_migrations" ORDER BY migration_name`)
    t.same(rows.map((r) => r.migration_name), ALL)
    for (const row of rows) {
      const sql = await readFile(join(DEFAULT_MIGRATIONS_DIR, String(row.migration_name), 'migration.sql'))
      t.equal(row.checksum, createHash('sha256').update(sql).digest('hex'), 'checksum is sha256 of migration.sql')
      t.ok(row.finished_at instanceof Date, 'finished_at set')
      t.equal(row.rolled_back_at, null)
      t.equal(row.applied_steps_count, 1)
    }

    t.same(await applyMigrations(session), { applied: [], skipped: ALL }, 're-run is a no-op')
    t.equal((await session.query(`SELECT 1 FROM "_prisma_migrations"`)).length, ALL.length)
  })
})

t.test('PostgreSQL: a changed applied migration is refused', async (t) => {
  const url = await createEmptyPostgres(t)
  const dir = await copyMigrations(t)
  await withSession(url, (session) => applyMigrations(session, { migrationsDir: dir }))
  await appendFile(join(dir, INIT, 'migration.sql'), '\n-- edited after the fact\n')
  await withSession(url, async (session) => {
    await t.rejects(applyMigrations(session, { migrationsDir: dir }), {
      code: 'FST_ALIPAYPLUS_MIGRATION_CHECKSUM',
      message: new RegExp(INIT),
    })
  })
})

t.test('PostgreSQL: a failing migration is rolled back and not recorded', async (t) => {
  const url = await createEmptyPostgres(t)
  const dir = await copyMigrations(t)
  await mkdir(join(dir, '20990101000000_broken'))
  await writeFile(
    join(dir, '20990101000000_broken', 'migration.sql'),
    'CREATE TABLE "Half" ("id" TEXT);\nALTER TABLE "NoSuchTable" ADD COLUMN "x" TEXT;\n',
  )
  await withSession(url, async (session) => {
    await t.rejects(applyMigrations(session, { migrationsDir: dir }), { code: 'FST_ALIPAYPLUS_MIGRATION_FAILED' })
    const names = await session.query<{ migration_name: string }>(`SELECT migration_name FROM "_prisma_migrations"`)
    t.same(names.map((r) => r.migration_name).sort(), ALL, 'only the good migrations are recorded')
    const half = await session.query(`SELECT to_regclass('"Half"') AS t`)
    t.same(half, [{ t: null }], 'the broken migration left nothing behind')
  })
})

t.test('PostgreSQL: two appliers starting at once apply each migration once', async (t) => {
  const url = await createEmptyPostgres(t)
  const results = await Promise.all([1, 2, 3].map(() => withSession(url, (session) => applyMigrations(session))))
  t.equal(results.filter((r) => r.applied.length === ALL.length).length, 1, 'exactly one applier ran them')
  t.equal(results.filter((r) => r.skipped.length === ALL.length).length, 2, 'the others found them applied')
  const rows = await withSession(url, (session) => session.query(`SELECT 1 FROM "_prisma_migrations"`))
  t.equal(rows.length, ALL.length)
})

t.test('PGlite: same migrations, same bookkeeping', async (t) => {
  const db = new PGlite()
  t.teardown(() => db.close())
  const session = pgliteSession(db)
  t.same(await applyMigrations(session), { applied: ALL, skipped: [] })
  for (const [table, expected] of Object.entries(EXPECTED_COLUMNS)) {
    t.same(await columnsOf(session, table), [...expected].sort(), `${table} columns match the schema`)
  }
  t.same(await applyMigrations(session), { applied: [], skipped: ALL }, 're-run is a no-op')
})
