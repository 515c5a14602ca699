// Throw-away databases for the benchmarks, one per run, migrated with the project's migrations
// for their provider and removed afterwards: a PostgreSQL database `fap_bench_<random>`, a
// MariaDB/MySQL database `fap_bench_<random>`, a SQLite file in a temporary directory, and
// PGlite in a temporary directory (opened by the server process itself: PGlite is in process,
// one connection). Plus the bulk work the harness needs (creating orders, counting what a run
// recorded); the harness is not the code under test: SQL on PostgreSQL, Prisma's createMany
// elsewhere (SQLite and PGlite through the server process, which holds the database).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import pg from 'pg'
import { PrismaClient as MysqlPrismaClient } from '../../generated/mysql/client.js'
import { applyMigrations } from '../../src/database/apply-migrations.js'
import { openDatabase } from '../../src/database/open-database.js'
import { openMysqlSession, openPgSession, openSqliteSession, type SqlSession } from '../../src/database/sql-session.js'
import { createMysqlDatabase, createPostgresDatabase } from '../../test/helpers/scratch-databases.js'
import type { BenchChild } from './child.js'
import { prismaOrderRows, type BenchPrisma } from './prisma-order-rows.js'

export const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
export const MYSQL_ADMIN_URL = process.env.BENCH_MYSQL_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306'

export type BenchDbKind = 'postgresql' | 'mysql' | 'sqlite' | 'pglite'

export const DB_LABELS: Record<BenchDbKind, string> = {
  postgresql: 'PostgreSQL',
  mysql: 'MariaDB',
  sqlite: 'SQLite (file)',
  pglite: 'PGlite (in process)',
}

/** What a run recorded for the orders whose orderNo starts with a prefix. */
export interface RunCount {
  /** Orders that are final and name their deciding event (finalEventId). */
  firstTransitions: number
  /** Messages recorded: the sum of the events' deliveries (an identical message is counted on its event). */
  messages: number
}

/** The harness's bulk work on one database. */
export interface OrderRows {
  /** Inserts orders in status init, as OrderStore.createOrder would. */
  insertOrders(orderNos: string[], amount?: { currency: string; value: string }): Promise<void>
  countRun(prefix: string): Promise<RunCount>
}

/** What a server process needs to open the database itself. */
export interface DatabaseLocation {
  /** postgresql://, mysql:// or file: URL; '' for PGlite. */
  databaseUrl: string
  /** PGlite's data directory (PGlite only). */
  pgliteDir?: string
}

export interface NotifyDatabase {
  kind: BenchDbKind
  location: DatabaseLocation
  /** The harness's bulk work; PGlite's goes through the server process that holds it. */
  rows(server: BenchChild): OrderRows
  drop(): Promise<void>
}

export interface BenchDatabase extends OrderRows {
  name: string
  url: string
  /** A harness connection to the benchmark database (not the code under test). */
  sql: pg.Client
  drop(): Promise<void>
}

async function migrate(open: () => Promise<SqlSession>): Promise<void> {
  const session = await open()
  try {
    await applyMigrations(session)
  } finally {
    await session.close()
  }
}

/** A fresh, migrated PostgreSQL database with a harness connection. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const scratch = await createPostgresDatabase(PG_ADMIN_URL, 'fap_bench')
  const { name, url } = scratch
  let sql: pg.Client | undefined
  let dropped = false
  const drop = async () => {
    if (dropped) return
    dropped = true
    await sql?.end().catch(() => {})
    await scratch.drop()
  }
  try {
    await migrate(() => openPgSession(url))
    sql = new pg.Client({ connectionString: url })
    await sql.connect()
  } catch (error) {
    await drop()
    throw error
  }
  const client = sql
  return {
    name,
    url,
    sql: client,
    async insertOrders(orderNos, amount = { currency: 'USD', value: '100' }) {
      for (let i = 0; i < orderNos.length; i += 50_000) {
        await client.query(
          `INSERT INTO "PaymentOrder" ("orderNo", "amount", "currency", "updatedAt")
           SELECT unnest($1::text[]), $2, $3, now()`,
          [orderNos.slice(i, i + 50_000), amount.value, amount.currency],
        )
      }
    },
    async countRun(prefix) {
      const { rows } = await client.query<{ first: string; messages: string | null }>(
        `SELECT
           (SELECT count(*) FROM "PaymentOrder" WHERE "orderNo" LIKE $1 AND "status" <> 'init' AND "finalEventId" IS NOT NULL) AS first,
           (SELECT sum("deliveries") FROM "PaymentEvent" WHERE "orderNo" LIKE $1) AS messages`,
        [`${prefix}%`],
      )
      return { firstTransitions: Number(rows[0]?.first ?? 0), messages: Number(rows[0]?.messages ?? 0) }
    },
    drop,
  }
}

async function createMysqlBenchDatabase(): Promise<NotifyDatabase> {
  const scratch = await createMysqlDatabase(MYSQL_ADMIN_URL, 'fap_bench')
  const { url } = scratch
  let harness: Awaited<ReturnType<typeof openDatabase<MysqlPrismaClient>>> | undefined
  let dropped = false
  const drop = async () => {
    if (dropped) return
    dropped = true
    await harness?.close().catch(() => {})
    await scratch.drop()
  }
  try {
    await migrate(() => openMysqlSession(url))
    harness = await openDatabase({ PrismaClient: MysqlPrismaClient, databaseUrl: url, migrate: false })
  } catch (error) {
    await drop()
    throw error
  }
  const rows = prismaOrderRows(harness.prisma as unknown as BenchPrisma)
  return { kind: 'mysql', location: { databaseUrl: url }, rows: () => rows, drop }
}

async function createSqliteDatabase(): Promise<NotifyDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'fap-bench-sqlite-'))
  const databaseUrl = pathToFileURL(join(dir, 'bench.db')).href
  try {
    await migrate(() => openSqliteSession(databaseUrl))
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  // A second connection from this process waits on the server's locks (SQLITE_BUSY after
  // the load): the harness works through the server process, as with PGlite.
  return { kind: 'sqlite', location: { databaseUrl }, rows: serverRows, drop: () => rm(dir, { recursive: true, force: true }) }
}

/** The harness's bulk work done by the server process, on its own client. */
function serverRows(server: BenchChild): OrderRows {
  return {
    insertOrders: (orderNos, amount) => server.call('insertOrders', orderNos, amount),
    countRun: (prefix) => server.call('countRun', prefix),
  }
}

async function createPgliteDatabase(): Promise<NotifyDatabase> {
  // Migrated and opened by the server process (openDatabase with no URL), which owns it.
  const dir = await mkdtemp(join(tmpdir(), 'fap-bench-pglite-'))
  return {
    kind: 'pglite',
    location: { databaseUrl: '', pgliteDir: dir },
    rows: serverRows,
    drop: () => rm(dir, { recursive: true, force: true }),
  }
}

/** A throw-away database of the kind, for bench/notify.ts. */
export async function createNotifyDatabase(kind: BenchDbKind): Promise<NotifyDatabase & { pg?: BenchDatabase }> {
  switch (kind) {
    case 'postgresql': {
      const db = await createBenchDatabase()
      return { kind, location: { databaseUrl: db.url }, rows: () => db, drop: () => db.drop(), pg: db }
    }
    case 'mysql':
      return createMysqlBenchDatabase()
    case 'sqlite':
      return createSqliteDatabase()
    case 'pglite':
      return createPgliteDatabase()
  }
}
