// Applies prisma/migrations in process, for where the Prisma CLI's native schema engine
// cannot run (embedded PGlite, tests, air-gapped installs). It keeps Prisma's own
// _prisma_migrations bookkeeping (same table, sha256 checksums of migration.sql), so that
// `prisma migrate deploy` / `prisma migrate status` agree with it later.
import { createHash, randomUUID } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MigrationChecksumError, MigrationFailedError } from '../errors.js'
import type { SqlSession } from './sql-session.js'

/** The migrations shipped with this package. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url))

// The advisory lock key `prisma migrate` itself takes, so our applier and the CLI also
// exclude each other.
const PRISMA_MIGRATE_LOCK_KEY = 72707369

// As `prisma migrate` creates it.
const CREATE_BOOKKEEPING = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`

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
 * Applies pending migrations in name order, each in its own transaction, under Prisma's
 * migration advisory lock (two processes starting at once apply each migration once).
 * A no-op when up to date; throws MigrationChecksumError when an applied migration changed.
 */
export async function applyMigrations(
  session: SqlSession,
  options: { migrationsDir?: string } = {},
): Promise<ApplyMigrationsResult> {
  const migrations = await readMigrations(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR)
  await session.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY])
  try {
    await session.exec(CREATE_BOOKKEEPING)
    const rows = await session.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM "_prisma_migrations"
       WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    )
    const done = new Map(rows.map((row) => [row.migration_name, row.checksum]))
    const result: ApplyMigrationsResult = { applied: [], skipped: [] }
    for (const migration of migrations) {
      const checksum = done.get(migration.name)
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) throw new MigrationChecksumError(migration.name)
        result.skipped.push(migration.name)
        continue
      }
      await applyOne(session, migration)
      result.applied.push(migration.name)
    }
    return result
  } finally {
    await session.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY])
  }
}

async function applyOne(session: SqlSession, migration: MigrationFile): Promise<void> {
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
    throw new MigrationFailedError(migration.name, (error as Error).message)
  }
}
