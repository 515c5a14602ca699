// The in-process applier on each provider: a fresh database gets every migration with Prisma's
// bookkeeping, a re-run is a no-op, an edited migration is refused, a failing one is rolled
// back (PostgreSQL, PGlite, SQLite) or recorded failed and blocking (MySQL), and concurrent
// appliers apply each migration once. The exact schema each migration produces is
// drift.test.ts's concern.
import { createHash } from 'node:crypto'
import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import t, { type Test } from 'tap'
import { applyMigrations, MIGRATIONS_DIRS, readMigrations } from '../../src/database/apply-migrations.js'
import {
  openMysqlSession,
  openPgSession,
  openSqliteSession,
  pgliteSession,
  type SqlProvider,
  type SqlSession,
} from '../../src/database/sql-session.js'
import {
  BACKENDS,
  createEmptyMysql,
  createEmptyPostgres,
  createEmptySqlite,
  forEachBackend,
  type Backend,
} from '../helpers/databases.js'
import { pgliteDump } from '../helpers/pglite-template.js'

/** A fresh empty database of one backend, and how to open sessions on it. */
interface Target {
  provider: SqlProvider
  open(): Promise<SqlSession>
}

async function emptyTarget(t: Test, backend: Backend): Promise<Target> {
  switch (backend.name) {
    case 'postgresql': {
      const url = await createEmptyPostgres(t)
      return { provider: 'postgresql', open: () => openPgSession(url) }
    }
    case 'mysql': {
      const url = await createEmptyMysql(t)
      return { provider: 'mysql', open: () => openMysqlSession(url) }
    }
    case 'sqlite': {
      const url = await createEmptySqlite(t)
      return { provider: 'sqlite', open: () => openSqliteSession(url) }
    }
    case 'pglite': {
      const db = new PGlite('memory://', { loadDataDir: await pgliteDump('empty') })
      t.teardown(() => db.close())
      return { provider: 'postgresql', open: async () => pgliteSession(db) }
    }
  }
}

async function withSession<T>(target: Target, fn: (session: SqlSession) => Promise<T>): Promise<T> {
  const session = await target.open()
  try {
    return await fn(session)
  } finally {
    await session.close()
  }
}

async function tablesOf(session: SqlSession): Promise<string[]> {
  const sql = {
    postgresql: `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`,
    mysql: `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()`,
    sqlite: `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
  }[session.provider]
  return (await session.query<{ name: string }>(sql)).map((row) => row.name).sort()
}

async function migrationRows(session: SqlSession) {
  return session.query<Record<string, unknown>>(`SELECT * FROM _prisma_migrations ORDER BY migration_name`)
}

async function copyMigrations(t: Test, provider: SqlProvider): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fap-migrations-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await cp(MIGRATIONS_DIRS[provider], dir, { recursive: true })
  return dir
}

async function addMigration(dir: string, name: string, sql: string): Promise<void> {
  await mkdir(join(dir, name))
  await writeFile(join(dir, name, 'migration.sql'), sql)
}

const q = (provider: SqlProvider, name: string) => (provider === 'mysql' ? `\`${name}\`` : `"${name}"`)

// A migration whose first statement works and whose second fails.
function brokenMigration(provider: SqlProvider): string {
  return `CREATE TABLE ${q(provider, 'Half')} (${q(provider, 'id')} VARCHAR(36));\n` +
    `ALTER TABLE ${q(provider, 'NoSuchTable')} ADD COLUMN ${q(provider, 'x')} TEXT;\n`
}

await forEachBackend(t, async (t, backend) => {
  const provider: SqlProvider = backend.name === 'pglite' ? 'postgresql' : backend.name
  const shipped = (await readMigrations(MIGRATIONS_DIRS[provider])).map((m) => m.name)

  t.test('a fresh database gets every migration and Prisma bookkeeping', async (t) => {
    const target = await emptyTarget(t, backend)
    await withSession(target, async (session) => {
      t.same(await applyMigrations(session), { applied: shipped, skipped: [] })
      t.same(await tablesOf(session), ['PaymentEvent', 'PaymentOrder', '_prisma_migrations'])

      const rows = await migrationRows(session)
      t.same(rows.map((row) => row.migration_name), shipped)
      for (const row of rows) {
        const sql = await readFile(join(MIGRATIONS_DIRS[provider], String(row.migration_name), 'migration.sql'))
        t.equal(row.checksum, createHash('sha256').update(sql).digest('hex'), 'checksum is sha256 of migration.sql')
        t.not(row.finished_at, null, 'finished_at set')
        t.not(row.started_at, null, 'started_at set')
        t.equal(row.rolled_back_at, null)
        t.equal(row.logs, null)
        t.equal(Number(row.applied_steps_count), 1)
      }

      t.same(await applyMigrations(session), { applied: [], skipped: shipped }, 're-run is a no-op')
      t.equal((await migrationRows(session)).length, shipped.length)
    })
  })

  t.test('the migrations of another provider are refused before anything runs', async (t) => {
    const target = await emptyTarget(t, backend)
    const other: SqlProvider = provider === 'sqlite' ? 'mysql' : 'sqlite'
    await withSession(target, async (session) => {
      await t.rejects(applyMigrations(session, { migrationsDir: MIGRATIONS_DIRS[other] }), {
        code: 'FST_ALIPAYPLUS_MIGRATION_PROVIDER',
      })
      t.same(await tablesOf(session), [], 'nothing created')
    })
  })

  t.test('a changed applied migration is refused', async (t) => {
    const target = await emptyTarget(t, backend)
    const dir = await copyMigrations(t, provider)
    await withSession(target, (session) => applyMigrations(session, { migrationsDir: dir }))
    const first = shipped[0]!
    await appendFile(join(dir, first, 'migration.sql'), '\n-- edited after the fact\n')
    await withSession(target, async (session) => {
      await t.rejects(applyMigrations(session, { migrationsDir: dir }), {
        code: 'FST_ALIPAYPLUS_MIGRATION_CHECKSUM',
        message: new RegExp(first),
      })
    })
  })

  // Checksums are judged the same on every provider; PGlite (slow to start) adds nothing to PostgreSQL here.
  const checksumsOnly = backend.name === 'pglite' ? { skip: 'checksums are judged as on PostgreSQL; PGlite adds nothing here' } : {}

  t.test('a migration applied with LF line endings and checked out with CRLF (and the reverse) is the same migration', checksumsOnly, async (t) => {
    // As Prisma's schema engine judges it (git may convert line endings on checkout); a real
    // edit is still refused whatever the line endings.
    const rewrite = async (dir: string, convert: (sql: string) => string) => {
      for (const name of shipped) {
        const file = join(dir, name, 'migration.sql')
        await writeFile(file, convert(await readFile(file, 'utf8')))
      }
    }
    const toCrlf = (sql: string) => sql.replaceAll('\r\n', '\n').replaceAll('\n', '\r\n')
    const toLf = (sql: string) => sql.replaceAll('\r\n', '\n')
    for (const [applied, checkedOut] of [
      [toLf, toCrlf],
      [toCrlf, toLf],
    ] as const) {
      const what = `${applied === toLf ? 'LF' : 'CRLF'} applied, ${checkedOut === toLf ? 'LF' : 'CRLF'} checked out`
      const target = await emptyTarget(t, backend)
      const dir = await copyMigrations(t, provider)
      await rewrite(dir, applied)
      t.same((await withSession(target, (session) => applyMigrations(session, { migrationsDir: dir }))).applied, shipped, `${what}: applied`)
      await rewrite(dir, checkedOut)
      t.not((await readMigrations(dir))[0]!.sql, applied((await readMigrations(dir))[0]!.sql), `${what}: the bytes differ`)
      t.same(await withSession(target, (session) => applyMigrations(session, { migrationsDir: dir })), { applied: [], skipped: shipped }, `${what}: accepted`)
      await appendFile(join(dir, shipped[0]!, 'migration.sql'), checkedOut('\n-- edited after the fact\n'))
      await withSession(target, (session) =>
        t.rejects(applyMigrations(session, { migrationsDir: dir }), { code: 'FST_ALIPAYPLUS_MIGRATION_CHECKSUM' }, `${what}: an edit is still refused`),
      )
    }
  })

  t.test('a checksum written unpadded by an old Prisma engine still matches', checksumsOnly, async (t) => {
    // prisma-engines#1887: bytes under 0x10 lost their leading zero; Prisma's engine accepts those rows.
    const target = await emptyTarget(t, backend)
    await withSession(target, (session) => applyMigrations(session))
    const migrations = await readMigrations(MIGRATIONS_DIRS[provider])
    const unpadded = (hex: string) => hex.match(/../g)!.map((byte) => byte.replace(/^0/, '')).join('')
    const old = migrations.find((migration) => unpadded(migration.checksum).length < 64)
    t.ok(old, 'a shipped migration whose checksum has a byte under 0x10')
    const placeholders = provider === 'postgresql' ? ['$1', '$2'] : ['?', '?']
    await withSession(target, (session) =>
      session.query(`UPDATE _prisma_migrations SET checksum = ${placeholders[0]} WHERE migration_name = ${placeholders[1]}`, [unpadded(old!.checksum), old!.name]),
    )
    t.same(await withSession(target, (session) => applyMigrations(session)), { applied: [], skipped: shipped })
  })

  t.test('a failing migration is not recorded as applied', async (t) => {
    const target = await emptyTarget(t, backend)
    const dir = await copyMigrations(t, provider)
    await addMigration(dir, '20990101000000_broken', brokenMigration(provider))
    await withSession(target, async (session) => {
      await t.rejects(applyMigrations(session, { migrationsDir: dir }), {
        code: 'FST_ALIPAYPLUS_MIGRATION_FAILED',
        message: /20990101000000_broken/,
      })
      const rows = await migrationRows(session)
      const finished = rows.filter((row) => row.finished_at !== null).map((row) => row.migration_name)
      t.same(finished, shipped, 'only the good migrations are recorded as applied')

      if (provider === 'mysql') {
        // MySQL cannot take DDL back: the first statement stays, and the row says it failed.
        t.ok((await tablesOf(session)).includes('Half'), 'the statement before the failure stayed applied')
        const failed = rows.find((row) => row.migration_name === '20990101000000_broken')
        t.equal(failed?.finished_at, null, 'recorded as started, not finished')
        t.equal(failed?.rolled_back_at, null)
        t.equal(Number(failed?.applied_steps_count), 0)
        t.match(String(failed?.logs), /NoSuchTable/, 'the error is in logs')
      } else {
        t.notOk((await tablesOf(session)).includes('Half'), 'the broken migration left nothing behind')
        t.equal(rows.length, shipped.length, 'no row for the broken migration')
      }
    })
  })

  t.test('an unresolved failed migration blocks every later run until it is resolved', async (t) => {
    const target = await emptyTarget(t, backend)
    const dir = await copyMigrations(t, provider)
    await withSession(target, (session) => applyMigrations(session, { migrationsDir: dir }))
    await addMigration(dir, '20990101000000_broken', brokenMigration(provider))
    await withSession(target, async (session) => {
      if (provider === 'mysql') {
        await t.rejects(applyMigrations(session, { migrationsDir: dir }), { code: 'FST_ALIPAYPLUS_MIGRATION_FAILED' })
      } else {
        // Only a failure left by `prisma migrate deploy` (or a crash) looks like this here.
        await session.query(
          `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at, applied_steps_count)
           VALUES ('failed-1', 'x', '20990101000000_broken', 'it broke', CURRENT_TIMESTAMP, 0)`,
        )
      }
    })
    // Fixed on disk, yet still refused while the database says it failed.
    await writeFile(
      join(dir, '20990101000000_broken', 'migration.sql'),
      `CREATE TABLE ${q(provider, 'Fixed')} (${q(provider, 'id')} VARCHAR(36));\n`,
    )
    await withSession(target, async (session) => {
      await t.rejects(applyMigrations(session, { migrationsDir: dir }), {
        code: 'FST_ALIPAYPLUS_MIGRATION_UNRESOLVED',
        message: /20990101000000_broken.*prisma migrate resolve --rolled-back/,
      })
      t.notOk((await tablesOf(session)).includes('Fixed'), 'nothing ran')

      // `prisma migrate resolve --rolled-back 20990101000000_broken` does this.
      await session.query(
        `UPDATE _prisma_migrations SET rolled_back_at = CURRENT_TIMESTAMP WHERE finished_at IS NULL AND rolled_back_at IS NULL`,
      )
      t.same(await applyMigrations(session, { migrationsDir: dir }), {
        applied: ['20990101000000_broken'],
        skipped: shipped,
      })
      t.ok((await tablesOf(session)).includes('Fixed'))
    })
  })

  // One PGlite instance is one connection: its session lock is shared, and one process owns
  // it, so there is no second applier to keep out.
  const oneConnection = backend.name === 'pglite' ? { skip: 'PGlite: one in-process connection, no concurrent appliers' } : {}
  t.test('three appliers starting at once apply each migration once', oneConnection, async (t) => {
    const target = await emptyTarget(t, backend)
    const results = await Promise.all([1, 2, 3].map(() => withSession(target, (session) => applyMigrations(session))))
    t.equal(results.filter((r) => r.applied.length === shipped.length).length, 1, 'exactly one applier ran them')
    t.equal(results.filter((r) => r.skipped.length === shipped.length).length, 2, 'the others found them applied')
    t.equal((await withSession(target, migrationRows)).length, shipped.length)
  })
})

// PostgreSQL's third migration changes tables that may already hold rows.
await forEachBackend(
  t,
  async (t, backend) => {
    t.test('the portable-store migration keeps existing events', async (t) => {
      const target = await emptyTarget(t, backend)
      const dir = await copyMigrations(t, 'postgresql')
      const upgrade = '20261126020000_portable_store'
      const sql = await readFile(join(dir, upgrade, 'migration.sql'), 'utf8')
      // The database as it stood before this migration: it and every later one removed.
      for (const name of await readdir(dir)) {
        if (name >= upgrade && /^\d+_/.test(name)) await rm(join(dir, name), { recursive: true })
      }
      await withSession(target, async (session) => {
        await applyMigrations(session, { migrationsDir: dir })
        await session.exec(`
          INSERT INTO "PaymentOrder" ("orderNo", "amount", "currency", "updatedAt") VALUES ('o-1', '100', 'USD', now());
          INSERT INTO "PaymentEvent" ("id", "orderNo", "source", "resultStatus", "applied", "reason", "payload") VALUES
            ('e-1', 'o-1', 'notify', 'S', true, NULL, '{"paymentResult": {"resultStatus": "S"}}'),
            ('e-2', 'o-1', 'notify', 'S', false, 'already_final', '{"paymentResult": {"resultStatus": "S"}}'),
            ('e-3', 'o-1', 'inquiry', 'F', false, 'already_final', '{"b": 1, "a": [1, 2]}');
        `)
        await addMigration(dir, upgrade, sql)
        t.same(await applyMigrations(session, { migrationsDir: dir }), {
          applied: [upgrade],
          skipped: ['20261126000000_init', '20261126010000_polling_lease'],
        })
        const rows = await session.query<Record<string, unknown>>(
          `SELECT "id", "payload", "digest", "deliveries", "reason" FROM "PaymentEvent" ORDER BY "id"`,
        )
        const legacy = (id: string) => createHash('sha256').update(`legacy:${id}`).digest('hex')
        t.same(rows, [
          { id: 'e-1', payload: '{"paymentResult": {"resultStatus": "S"}}', digest: legacy('e-1'), deliveries: 1, reason: null },
          { id: 'e-2', payload: '{"paymentResult": {"resultStatus": "S"}}', digest: legacy('e-2'), deliveries: 1, reason: 'already_final' },
          { id: 'e-3', payload: '{"a": [1, 2], "b": 1}', digest: legacy('e-3'), deliveries: 1, reason: 'already_final' },
        ], 'payloads kept as the JSON text, legacy digests, one delivery each')
        await session.exec(
          `INSERT INTO "PaymentEvent" ("id", "orderNo", "source", "resultStatus", "payload", "digest") VALUES ('e-4', 'o-1', 'cancel', 'F', '{}', 'd')`,
        )
        await t.rejects(
          session.exec(
            `INSERT INTO "PaymentEvent" ("id", "orderNo", "source", "resultStatus", "payload", "digest") VALUES ('e-5', 'o-1', 'notify', 'F', '{}', 'd')`,
          ),
          /PaymentEvent_orderNo_digest_key/,
          'one event per order and digest',
        )
      })
    })
  },
  BACKENDS.filter((b) => b.name === 'postgresql' || b.name === 'pglite'),
)
