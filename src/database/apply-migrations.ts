// Applies a provider's migrations folder in process, for where the Prisma CLI's native schema
// engine cannot run (embedded PGlite, tests, air-gapped installs). It keeps Prisma's own
// _prisma_migrations bookkeeping (same table, same rows, sha256 checksums of migration.sql)
// and takes the lock Prisma takes, so that `prisma migrate deploy` / `prisma migrate status`
// agree with it later and the two never run at once.
//
// Why not let Prisma's WebAssembly schema engine (its applyMigrations is `prisma migrate
// deploy`) do this where it can: it is a dev-only ~10 MB internal package pinned to one Prisma
// build, it supports neither MySQL/MariaDB nor PGlite, and the plugin's runtime should load
// nothing that large. One small applier serves all four databases the same way;
// test/database/drift.test.ts checks, with that engine, that the two agree.
import { createHash, randomUUID } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  MigrationChecksumError,
  MigrationFailedError,
  MigrationProviderError,
  MigrationUnresolvedError,
} from '../errors.js'
import { BOOKKEEPING, type MigrationRow } from './migration-bookkeeping.js'
import type { SqlProvider, SqlSession } from './sql-session.js'

/** The migrations shipped with this package, one folder per provider, beside its schema. */
export const MIGRATIONS_DIRS: Readonly<Record<SqlProvider, string>> = {
  postgresql: fileURLToPath(new URL('../../prisma/migrations', import.meta.url)),
  mysql: fileURLToPath(new URL('../../prisma/mysql/migrations', import.meta.url)),
  sqlite: fileURLToPath(new URL('../../prisma/sqlite/migrations', import.meta.url)),
}

/** The PostgreSQL (and PGlite) migrations. */
export const DEFAULT_MIGRATIONS_DIR = MIGRATIONS_DIRS.postgresql

export interface MigrationFile {
  name: string
  sql: string
  checksum: string
}

export interface ApplyMigrationsResult {
  /** Names applied by this call, in order. Empty when the database was up to date. */
  applied: string[]
  /** Names that were already applied. */
  skipped: string[]
}

export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name, 'migration.sql'), 'utf8')
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') }
    }),
  )
}

/**
 * Whether `checksum` (an applied migration's, from _prisma_migrations) is that of `sql`, judged
 * as Prisma's schema engine judges it (schema-connector/src/checksum.rs,
 * script_matches_checksum), so that this applier refuses exactly what `prisma migrate deploy`
 * refuses: git may check a migration out with other line endings than it was applied with, so
 * the file as it is, with CRLF turned to LF, and with LF turned to CRLF all match; and a
 * checksum an old engine wrote without zero-padding its hex bytes (prisma-engines#1887) too.
 */
function matchesChecksum(sql: string, checksum: string): boolean {
  return [sql, sql.replaceAll('\r\n', '\n'), sql.replaceAll('\n', '\r\n')].some((text) => {
    const digest = createHash('sha256').update(text).digest()
    const hex = checksum !== '' && checksum.length !== 64 ? Array.from(digest, (byte) => byte.toString(16)).join('') : digest.toString('hex')
    return hex === checksum
  })
}

/** The provider named in the folder's migration_lock.toml, or null without one. */
async function lockedProvider(dir: string): Promise<string | null> {
  const text = await readFile(join(dir, 'migration_lock.toml'), 'utf8').catch(() => null)
  return text === null ? null : (/^\s*provider\s*=\s*"([^"]+)"/m.exec(text)?.[1] ?? null)
}

/**
 * Applies pending migrations in name order under Prisma's migration lock (two processes
 * starting at once apply each migration once). The folder defaults to the one for the
 * session's provider. A no-op when up to date. Throws MigrationChecksumError when an applied
 * migration changed, MigrationUnresolvedError while an earlier failure is unresolved.
 *
 * A failing migration: PostgreSQL and SQLite roll it back (DDL is transactional there) and
 * record nothing; MySQL cannot roll DDL back, so its row is left failed (finished_at NULL,
 * the error in logs), as `prisma migrate deploy` leaves it, until someone resolves it.
 */
export async function applyMigrations(
  session: SqlSession,
  options: { migrationsDir?: string } = {},
): Promise<ApplyMigrationsResult> {
  const dir = options.migrationsDir ?? MIGRATIONS_DIRS[session.provider]
  const folderProvider = await lockedProvider(dir)
  if (folderProvider !== null && folderProvider !== session.provider) {
    throw new MigrationProviderError(dir, folderProvider, session.provider)
  }
  const migrations = await readMigrations(dir)
  const bookkeeping = BOOKKEEPING[session.provider]
  await bookkeeping.lock(session)
  try {
    await session.exec(bookkeeping.createTable)
    const rows = await session.query<MigrationRow>(bookkeeping.selectRows)
    const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null)
    if (failed) throw new MigrationUnresolvedError(failed.migration_name, failed.migration_name, failed.migration_name)
    const done = new Map(
      rows.filter((row) => row.rolled_back_at === null).map((row) => [row.migration_name, row.checksum]),
    )
    const result: ApplyMigrationsResult = { applied: [], skipped: [] }
    for (const migration of migrations) {
      const checksum = done.get(migration.name)
      if (checksum !== undefined) {
        if (!matchesChecksum(migration.sql, checksum)) throw new MigrationChecksumError(migration.name)
        result.skipped.push(migration.name)
        continue
      }
      await APPLY_ONE[session.provider](session, migration)
      result.applied.push(migration.name)
    }
    return result
  } finally {
    await bookkeeping.unlock(session)
  }
}

const ROLLED_BACK = 'It was rolled back and not recorded; fix it and start again'

const APPLY_ONE: Record<SqlProvider, (session: SqlSession, migration: MigrationFile) => Promise<void>> = {
  async postgresql(session, migration) {
    await session.exec('BEGIN')
    try {
      await session.exec(migration.sql)
      await session.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
         VALUES ($1, $2, $3, now(), now(), 1)`,
        [randomUUID(), migration.checksum, migration.name],
      )
      await session.exec('COMMIT')
    } catch (error) {
      await session.exec('ROLLBACK')
      throw new MigrationFailedError(migration.name, messageOf(error), ROLLED_BACK)
    }
  },

  // Inside the BEGIN IMMEDIATE the lock opened: a savepoint per migration, so a failure takes
  // back that migration only. Times as Prisma's SQLite connector writes them (RFC 3339 text).
  async sqlite(session, migration) {
    await session.exec('SAVEPOINT prisma_migration')
    try {
      await session.exec(migration.sql)
      await session.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
         VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), 1)`,
        [randomUUID(), migration.checksum, migration.name],
      )
      await session.exec('RELEASE prisma_migration')
    } catch (error) {
      await session.exec('ROLLBACK TO prisma_migration; RELEASE prisma_migration')
      throw new MigrationFailedError(migration.name, messageOf(error), ROLLED_BACK)
    }
  },

  // MySQL commits every DDL statement on its own: as `prisma migrate deploy` does, the row is
  // written first (started, no steps) and finished after the script, or left failed with the
  // error in logs, which stops every later run until it is resolved.
  async mysql(session, migration) {
    const id = randomUUID()
    await session.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES (?, ?, ?, UTC_TIMESTAMP(3), 0)`,
      [id, migration.checksum, migration.name],
    )
    try {
      await session.exec(migration.sql)
    } catch (error) {
      const message = messageOf(error)
      await session.query('UPDATE _prisma_migrations SET logs = ? WHERE id = ?', [message, id])
      throw new MigrationFailedError(
        migration.name,
        message,
        'MySQL cannot roll back DDL, so statements before the failing one stay applied; it is recorded as failed in _prisma_migrations and no migration runs until it is resolved',
      )
    }
    await session.query(
      'UPDATE _prisma_migrations SET finished_at = UTC_TIMESTAMP(3), applied_steps_count = 1 WHERE id = ?',
      [id],
    )
  },
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
