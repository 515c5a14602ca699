// Prisma Migrate's `_prisma_migrations` table and migration lock in each SQL dialect, as
// prisma-engines writes them (sql-schema-connector flavours; the PostgreSQL and SQLite DDL
// also appear verbatim in @prisma/schema-engine-wasm), so that `prisma migrate deploy` and
// `prisma migrate status` read our rows as their own.
import type { SqlProvider, SqlSession } from './sql-session.js'

export interface MigrationRow {
  migration_name: string
  checksum: string
  finished_at: unknown
  rolled_back_at: unknown
}

export interface Bookkeeping {
  /** Prisma's CREATE TABLE, made idempotent. */
  createTable: string
  selectRows: string
  /** Takes the lock that keeps two appliers (ours or Prisma's) from running at once. */
  lock(session: SqlSession): Promise<void>
  unlock(session: SqlSession): Promise<void>
}

const SELECT_ROWS = `SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations`

// prisma-engines postgres.rs: `SELECT pg_advisory_lock(72707369)`, session scoped.
const PRISMA_PG_LOCK_KEY = 72707369

// prisma-engines mysql.rs: `SELECT GET_LOCK('prisma_migrate', 10)`, session scoped.
// Prisma ignores a timeout (GET_LOCK returns 0); we ask again until we hold it.
const PRISMA_MYSQL_LOCK_NAME = 'prisma_migrate'
const MYSQL_LOCK_WAIT_SECONDS = 10

const postgresql: Bookkeeping = {
  createTable: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`,
  selectRows: SELECT_ROWS,
  lock: async (session) => {
    await session.query('SELECT pg_advisory_lock($1)', [PRISMA_PG_LOCK_KEY])
  },
  unlock: async (session) => {
    await session.query('SELECT pg_advisory_unlock($1)', [PRISMA_PG_LOCK_KEY])
  },
}

const mysql: Bookkeeping = {
  createTable: `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             DATETIME(3),
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          DATETIME(3),
    started_at              DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    applied_steps_count     INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  selectRows: SELECT_ROWS,
  lock: async (session) => {
    for (;;) {
      const [row] = await session.query<{ got: unknown }>('SELECT GET_LOCK(?, ?) AS got', [
        PRISMA_MYSQL_LOCK_NAME,
        MYSQL_LOCK_WAIT_SECONDS,
      ])
      if (Number(row?.got) === 1) return
      if (row?.got === null || row?.got === undefined) throw new Error(`GET_LOCK('${PRISMA_MYSQL_LOCK_NAME}') failed`)
    }
  },
  unlock: async (session) => {
    await session.query('SELECT RELEASE_LOCK(?)', [PRISMA_MYSQL_LOCK_NAME])
  },
}

// SQLite has no session locks: a write transaction taken up front (BEGIN IMMEDIATE) around
// the check and the apply lets one process at a time through, the others wait (busy_timeout).
const sqlite: Bookkeeping = {
  createTable: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`,
  selectRows: SELECT_ROWS,
  lock: (session) => session.exec('BEGIN IMMEDIATE'),
  // Commit is right even after a failure: each migration ran inside its own savepoint, so what
  // the transaction holds is whole migrations with their rows (and the table itself).
  unlock: async (session) => {
    try {
      await session.exec('COMMIT')
    } catch (error) {
      await session.exec('ROLLBACK').catch(() => {})
      throw error
    }
  },
}

export const BOOKKEEPING: Record<SqlProvider, Bookkeeping> = { postgresql, mysql, sqlite }
