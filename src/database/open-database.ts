// Opens a Prisma client for the demo, the tests and applications that want the default
// wiring: PostgreSQL through @prisma/adapter-pg when a postgresql:// URL is given, otherwise
// embedded PGlite (in process, no server) through pglite-prisma-adapter, migrated first.
// The adapters are optional peer dependencies, loaded only for the database in use.
import { mkdir } from 'node:fs/promises'
import { InvalidOptionError } from '../errors.js'
import { applyMigrations, type ApplyMigrationsResult } from './apply-migrations.js'
import { openPgSession, pgliteSession } from './sql-session.js'

export const DEFAULT_PGLITE_DIR = './.data/pglite'

export interface OpenDatabaseOptions<Client> {
  /** The application's generated PrismaClient class. */
  PrismaClient: new (options: { adapter: any }) => Client
  /** postgresql:// URL. Default: process.env.DATABASE_URL; unset means embedded PGlite. */
  databaseUrl?: string | undefined
  /** PGlite data directory, or 'memory://' for a throw-away in-memory database. */
  pgliteDir?: string | undefined
  /** Apply pending migrations before returning. Default true. */
  migrate?: boolean
  migrationsDir?: string
}

export interface OpenedDatabase<Client> {
  prisma: Client
  kind: 'postgresql' | 'pglite'
  /** Where the data lives (URL without password, or the PGlite directory). */
  location: string
  migrations: ApplyMigrationsResult | null
  /** Disconnects the client and closes what this function opened. */
  close(): Promise<void>
}

function redact(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparseable URL)'
  }
}

export async function openDatabase<Client extends { $disconnect(): Promise<void> }>(
  options: OpenDatabaseOptions<Client>,
): Promise<OpenedDatabase<Client>> {
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL
  const migrate = options.migrate ?? true
  const migrationOptions = options.migrationsDir ? { migrationsDir: options.migrationsDir } : {}

  if (databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
      throw new InvalidOptionError('databaseUrl', 'must be a postgresql:// URL (DATABASE_URL)')
    }
    let migrations: ApplyMigrationsResult | null = null
    if (migrate) {
      const session = await openPgSession(databaseUrl)
      try {
        migrations = await applyMigrations(session, migrationOptions)
      } finally {
        await session.close()
      }
    }
    const { PrismaPg } = await import('@prisma/adapter-pg')
    const prisma = new options.PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) })
    return { prisma, kind: 'postgresql', location: redact(databaseUrl), migrations, close: () => prisma.$disconnect() }
  }

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
