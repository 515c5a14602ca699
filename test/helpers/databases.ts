// Throw-away databases for tests: a fresh PostgreSQL database per call on the local server
// (dropped at teardown), or an in-memory PGlite. Both migrated with the project's migrations.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Test } from 'tap'
import { PrismaClient } from '../../generated/prisma/client.js'
import { openDatabase } from '../../src/database/open-database.js'

export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'

export interface TestDatabase {
  prisma: PrismaClient
  kind: 'postgresql' | 'pglite'
  /** postgresql:// URL of the fresh database (PostgreSQL only). */
  url?: string
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

/** A new empty database (not migrated); dropped when the test ends. */
export async function createEmptyPostgres(t: Test): Promise<string> {
  const name = `fap_test_${randomBytes(6).toString('hex')}`
  await admin((client) => client.query(`CREATE DATABASE ${name}`))
  t.teardown(() => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)))
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  return url.toString()
}

export async function freshPostgres(t: Test): Promise<TestDatabase> {
  const url = await createEmptyPostgres(t)
  const db = await openDatabase({ PrismaClient, databaseUrl: url })
  t.teardown(() => db.close())
  return { prisma: db.prisma, kind: 'postgresql', url }
}

export async function freshPGlite(t: Test): Promise<TestDatabase> {
  const db = await openDatabase({ PrismaClient, databaseUrl: '', pgliteDir: 'memory://' })
  t.teardown(() => db.close())
  return { prisma: db.prisma, kind: 'pglite' }
}

/** Runs the same suite against both databases. */
export const BACKENDS = [
  { name: 'postgresql', open: freshPostgres },
  { name: 'pglite', open: freshPGlite },
] as const
