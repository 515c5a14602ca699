// fastify-alipayplus/migrate: this package's migrations applied in process, where the Prisma
// CLI's schema engine cannot run (embedded PGlite, tests, air-gapped installs), and
// openDatabase, the default wiring of a migrated PrismaClient.
export {
  applyMigrations,
  readMigrations,
  DEFAULT_MIGRATIONS_DIR,
  type ApplyMigrationsResult,
  type MigrationFile,
} from './database/apply-migrations.js'
export { openPgSession, pgliteSession, type SqlSession } from './database/sql-session.js'
export { openDatabase, DEFAULT_PGLITE_DIR, type OpenDatabaseOptions, type OpenedDatabase } from './database/open-database.js'
export { MigrationChecksumError, MigrationFailedError } from './errors.js'
