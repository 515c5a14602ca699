// fastify-alipayplus/migrate: this package's migrations applied in process, where the Prisma
// CLI's schema engine cannot run (embedded PGlite, tests, air-gapped installs), and
// openDatabase, the default wiring of a migrated PrismaClient.
export {
  applyMigrations,
  readMigrations,
  DEFAULT_MIGRATIONS_DIR,
  MIGRATIONS_DIRS,
  type ApplyMigrationsResult,
  type MigrationFile,
} from './database/apply-migrations.js'
export {
  openPgSession,
  openMysqlSession,
  openSqliteSession,
  pgliteSession,
  type SqlSession,
  type SqlProvider,
} from './database/sql-session.js'
export {
  openDatabase,
  DEFAULT_PGLITE_DIR,
  type DatabaseKind,
  type OpenDatabaseOptions,
  type OpenedDatabase,
} from './database/open-database.js'
export {
  MigrationChecksumError,
  MigrationFailedError,
  MigrationProviderError,
  MigrationUnresolvedError,
} from './errors.js'
