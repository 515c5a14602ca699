// The CLI's database access: a single session (src/database/sql-session.ts) for the URL's
// provider, and what its migrations say against the folder this package ships.
import { MIGRATIONS_DIRS, readMigrations } from '../database/apply-migrations.js'
import { BOOKKEEPING, type MigrationRow } from '../database/migration-bookkeeping.js'
import { databaseKindOf, redactUrl } from '../database/open-database.js'
import { openMysqlSession, openPgSession, openSqliteSession, type SqlSession } from '../database/sql-session.js'
import { UsageError } from './args.js'

export function openSessionFor(url: string): Promise<SqlSession> {
  let kind: ReturnType<typeof databaseKindOf>
  try {
    kind = databaseKindOf(url)
  } catch {
    throw new UsageError(`--database-url must be a postgresql://, mysql://, mariadb:// or file: URL, got "${redactUrl(url)}"`)
  }
  if (kind === 'postgresql') return openPgSession(url)
  if (kind === 'mysql') return openMysqlSession(url)
  return openSqliteSession(url)
}

export interface MigrationStatus {
  /** Shipped migrations not applied to this database. */
  pending: string[]
  /** Applied here but not shipped with this version (a newer version applied them?). */
  unknown: string[]
  /** Started and not finished (a failure waiting for a human). */
  failed: string[]
  /** The database has no _prisma_migrations table. */
  untracked: boolean
}

export async function migrationStatus(session: SqlSession): Promise<MigrationStatus> {
  const shipped = (await readMigrations(MIGRATIONS_DIRS[session.provider])).map((migration) => migration.name)
  let rows: MigrationRow[]
  try {
    rows = await session.query<MigrationRow>(BOOKKEEPING[session.provider].selectRows)
  } catch {
    return { pending: shipped, unknown: [], failed: [], untracked: true }
  }
  const live = rows.filter((row) => row.rolled_back_at === null)
  const done = new Set(live.filter((row) => row.finished_at !== null).map((row) => row.migration_name))
  return {
    pending: shipped.filter((name) => !done.has(name)),
    unknown: [...done].filter((name) => !shipped.includes(name)),
    failed: live.filter((row) => row.finished_at === null).map((row) => row.migration_name),
    untracked: false,
  }
}
