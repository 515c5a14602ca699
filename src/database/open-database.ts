// Opens a Prisma client for the demo, the tests and applications that want the default
// wiring, chosen by the URL: postgresql:// through @prisma/adapter-pg, mysql:// or mariadb://
// through @prisma/adapter-mariadb, file: (SQLite) through @prisma/adapter-libsql, and no URL
// at all through embedded PGlite (in process, no server) with pglite-prisma-adapter; migrated
// first with that provider's migrations. The adapters are optional peer dependencies, loaded
// only for the database in use. The PrismaClient must be generated from the matching schema.
import { mkdir } from 'node:fs/promises'
import { InvalidOptionError } from '../errors.js'
import { parseSecretUrl, redactUrl } from '../secret-url.js'
import { applyMigrations, type ApplyMigrationsResult } from './apply-migrations.js'
import { openMysqlSession, openPgSession, openSqliteSession, pgliteSession, type SqlSession } from './sql-session.js'

export { redactUrl }

export const DEFAULT_PGLITE_DIR = './.data/pglite'

export type DatabaseKind = 'postgresql' | 'mysql' | 'sqlite' | 'pglite'

export interface OpenDatabaseOptions<Client> {
  /** The application's generated PrismaClient class, generated for this database's provider. */
  PrismaClient: new (options: { adapter: any }) => Client
  /**
   * postgresql://, mysql://, mariadb:// or file: URL. Default: process.env.DATABASE_URL;
   * unset (or '') means embedded PGlite. A postgresql:// URL may name a schema (`?schema=`).
   */
  databaseUrl?: string | undefined
  /** PGlite data directory, or 'memory://' for a throw-away in-memory database. */
  pgliteDir?: string | undefined
  /** Apply pending migrations before returning. Default true. */
  migrate?: boolean
  /** Default: the package's migrations for the database's provider. */
  migrationsDir?: string
}

export interface OpenedDatabase<Client> {
  prisma: Client
  kind: DatabaseKind
  /** Where the data lives: the URL without its password, or the PGlite directory. */
  location: string
  migrations: ApplyMigrationsResult | null
  /** Disconnects the client and closes what this function opened. */
  close(): Promise<void>
}

export function databaseKindOf(url: string): Exclude<DatabaseKind, 'pglite'> {
  if (/^postgres(ql)?:\/\//i.test(url)) return 'postgresql'
  if (/^(mysql|mariadb):\/\//i.test(url)) return 'mysql'
  if (/^file:/i.test(url)) return 'sqlite'
  throw new InvalidOptionError(
    'databaseUrl',
    'must be a postgresql://, mysql://, mariadb:// or file: URL (DATABASE_URL), or unset for embedded PGlite',
  )
}

async function migrateWith(
  open: () => Promise<SqlSession>,
  options: { migrationsDir?: string },
): Promise<ApplyMigrationsResult> {
  const session = await open()
  try {
    return await applyMigrations(session, options)
  } finally {
    await session.close()
  }
}

export async function openDatabase<Client extends { $disconnect(): Promise<void> }>(
  options: OpenDatabaseOptions<Client>,
): Promise<OpenedDatabase<Client>> {
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL
  const migrate = options.migrate ?? true
  const migrationOptions = options.migrationsDir ? { migrationsDir: options.migrationsDir } : {}

  if (!databaseUrl) return openPGlite(options, migrate, migrationOptions)

  const kind = databaseKindOf(databaseUrl)
  // Up front, so that a malformed URL is refused without its password (see secret-url.ts).
  const url = parseSecretUrl(databaseUrl, 'databaseUrl')
  const location = redactUrl(databaseUrl)
  let migrations: ApplyMigrationsResult | null = null
  let adapter: unknown
  if (kind === 'postgresql') {
    // Prisma's own URL convention names the schema in `?schema=`; pg does not know it.
    const schema = url.searchParams.get('schema')
    url.searchParams.delete('schema')
    const connectionString = url.toString()
    if (migrate) migrations = await migrateWith(() => openPgSession(databaseUrl), migrationOptions)
    const { PrismaPg } = await import('@prisma/adapter-pg')
    adapter = new PrismaPg({ connectionString }, schema ? { schema } : undefined)
  } else if (kind === 'mysql') {
    if (migrate) migrations = await migrateWith(() => openMysqlSession(databaseUrl), migrationOptions)
    const { PrismaMariaDb } = await import('@prisma/adapter-mariadb')
    adapter = new PrismaMariaDb(databaseUrl)
  } else {
    if (migrate) migrations = await migrateWith(() => openSqliteSession(databaseUrl), migrationOptions)
    const { PrismaLibSql } = await import('@prisma/adapter-libsql')
    adapter = new PrismaLibSql({ url: databaseUrl })
  }
  const prisma = new options.PrismaClient({ adapter })
  return { prisma, kind, location, migrations, close: () => prisma.$disconnect() }
}

async function openPGlite<Client extends { $disconnect(): Promise<void> }>(
  options: OpenDatabaseOptions<Client>,
  migrate: boolean,
  migrationOptions: { migrationsDir?: string },
): Promise<OpenedDatabase<Client>> {
  const dir = options.pgliteDir ?? process.env.PGLITE_DIR ?? DEFAULT_PGLITE_DIR
  if (!dir.startsWith('memory://')) await mkdir(dir, { recursive: true })
  const { PGlite } = await import('@electric-sql/pglite')
  const { PrismaPGlite } = await import('pglite-prisma-adapter')
  const db = new PGlite(dir)
  const migrations = migrate ? await applyMigrations(pgliteSession(db), migrationOptions) : null
  const prisma = new options.PrismaClient({ adapter: new PrismaPGlite(db) })
  return {
    prisma,
    kind: 'pglite',
    location: dir,
    migrations,
    close: async () => {
      await prisma.$disconnect()
      await db.close()
    },
  }
}
