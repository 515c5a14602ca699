// A throw-away PostgreSQL database per benchmark, migrated with the project's migrations and
// dropped afterwards, plus the bulk SQL the harness needs (creating orders, counting events).
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { applyMigrations } from '../../src/database/apply-migrations.js'
import { openPgSession } from '../../src/database/sql-session.js'

export const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'

export interface BenchDatabase {
  name: string
  url: string
  /** A harness connection to the benchmark database (not the code under test). */
  sql: pg.Client
  /** Inserts orders in status init, as OrderStore.createOrder would, in one statement. */
  insertOrders(orderNos: string[], amount?: { currency: string; value: string }): Promise<void>
  /** Audit events of the orders whose orderNo starts with `prefix`, by applied. */
  countEvents(prefix: string): Promise<{ applied: number; notApplied: number }>
  drop(): Promise<void>
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `fap_bench_${randomBytes(6).toString('hex')}`
  await admin((client) => client.query(`CREATE DATABASE ${name}`))
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  const session = await openPgSession(url.toString())
  try {
    await applyMigrations(session)
  } finally {
    await session.close()
  }
  const sql = new pg.Client({ connectionString: url.toString() })
  await sql.connect()
  let dropped = false
  return {
    name,
    url: url.toString(),
    sql,
    async insertOrders(orderNos, amount = { currency: 'USD', value: '100' }) {
      for (let i = 0; i < orderNos.length; i += 50_000) {
        await sql.query(
          `INSERT INTO "PaymentOrder" ("orderNo", "amount", "currency", "updatedAt")
           SELECT unnest($1::text[]), $2, $3, now()`,
          [orderNos.slice(i, i + 50_000), amount.value, amount.currency],
        )
      }
    },
    async countEvents(prefix) {
      const { rows } = await sql.query<{ applied: boolean; n: string }>(
        `SELECT "applied", count(*) AS n FROM "PaymentEvent" WHERE "orderNo" LIKE $1 GROUP BY "applied"`,
        [`${prefix}%`],
      )
      const count = (applied: boolean) => Number(rows.find((row) => row.applied === applied)?.n ?? 0)
      return { applied: count(true), notApplied: count(false) }
    },
    async drop() {
      if (dropped) return
      dropped = true
      await sql.end().catch(() => {})
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
    },
  }
}
