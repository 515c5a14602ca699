export * from './errors.js'
export { type Amount, assertAmount } from './store/amount.js'
export { OrderStore, type PaymentResultInput, type RecordOutcome, type NotAppliedReason } from './store/order-store.js'
export type {
  PaymentPrismaClient,
  PaymentOrderRecord,
  PaymentEventRecord,
  PaymentStatus,
  FinalStatus,
  ResultSource,
} from './store/prisma-types.js'
export { applyMigrations, readMigrations, DEFAULT_MIGRATIONS_DIR, type ApplyMigrationsResult } from './database/apply-migrations.js'
export { openPgSession, pgliteSession, type SqlSession } from './database/sql-session.js'
export { openDatabase, DEFAULT_PGLITE_DIR, type OpenDatabaseOptions, type OpenedDatabase } from './database/open-database.js'
