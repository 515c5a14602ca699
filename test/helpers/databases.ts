// Throw-away databases for tests, one per call, each migrated with its provider's migrations:
// a fresh PostgreSQL database and a fresh MariaDB/MySQL database on the local servers (dropped
// at teardown), a temporary SQLite file (removed at teardown), an in-memory PGlite.
//
// A machine without the servers still runs the rest: a server that cannot be reached skips
// its backend with a message saying which server and how to enable it, unless
// TEST_REQUIRE_SERVERS=1 (CI), where it fails instead. The fast tier (`npm test`) sets
// TEST_SERVERS=off: every server backend is skipped without a connection, reachable or not.
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { PrismaPGlite } from 'pglite-prisma-adapter'
import type { Test } from 'tap'
import { PrismaClient as MysqlPrismaClient } from '../../generated/mysql/client.js'
import { PrismaClient } from '../../generated/prisma/client.js'
import { PrismaClient as SqlitePrismaClient } from '../../generated/sqlite/client.js'
import { openDatabase } from '../../src/database/open-database.js'
import { pgliteDump } from './pglite-template.js'
import { createMysqlDatabase, createPostgresDatabase } from './scratch-databases.js'

export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
export const MYSQL_ADMIN_URL = process.env.TEST_MYSQL_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306'
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
export const SERVERS_OFF = process.env.TEST_SERVERS === 'off'
export const REQUIRE_SERVERS = process.env.TEST_REQUIRE_SERVERS === '1' && !SERVERS_OFF

export type BackendKind = 'postgresql' | 'mysql' | 'sqlite' | 'pglite'
export type Server = 'postgresql' | 'mysql' | 'redis'

/** The client generated for each provider's schema. */
export type AnyPrismaClient = PrismaClient | MysqlPrismaClient | SqlitePrismaClient

export interface TestDatabase<Client = AnyPrismaClient> {
  prisma: Client
  kind: BackendKind
  /** URL of the fresh database (server databases and SQLite). */
  url?: string
}

export interface Backend {
  name: BackendKind
  /** The server this backend needs, if any. */
  server?: Server
  /**
   * The client is typed as the PostgreSQL one: the model API calls tests make are the same on
   * every provider, and a union of the three clients' overloads is not callable.
   */
  open(t: Test): Promise<TestDatabase<PrismaClient>>
}

const typedAsPostgres = (open: (t: Test) => Promise<TestDatabase>) => open as (t: Test) => Promise<TestDatabase<PrismaClient>>

// ---------------------------------------------------------------------------------------------
// Servers: reachable or not, asked once per process.

const SERVER_NAMES: Record<Server, { label: string; url: string; env: string; defaultPort: number }> = {
  postgresql: { label: 'PostgreSQL', url: PG_ADMIN_URL, env: 'TEST_PG_ADMIN_URL', defaultPort: 5432 },
  mysql: { label: 'MariaDB/MySQL', url: MYSQL_ADMIN_URL, env: 'TEST_MYSQL_ADMIN_URL', defaultPort: 3306 },
  redis: { label: 'Redis', url: REDIS_URL, env: 'TEST_REDIS_URL', defaultPort: 6379 },
}

const reachability = new Map<Server, Promise<string | null>>()

/**
 * Null when the server accepts TCP connections; otherwise a message saying which server at
 * which address was unreachable and how to enable it. One short connect per server per process.
 */
export function serverUnreachable(server: Server): Promise<string | null> {
  let known = reachability.get(server)
  if (!known) {
    known = probe(server)
    reachability.set(server, known)
  }
  return known
}

async function probe(server: Server): Promise<string | null> {
  const { label, url, env, defaultPort } = SERVER_NAMES[server]
  if (SERVERS_OFF) return `${label} is left alone in the fast tier (TEST_SERVERS=off): npm run test:all runs this`
  const parsed = new URL(url)
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1'
  const port = Number(parsed.port || defaultPort)
  const refused = await tcpRefusal(host, port, 1_500)
  if (refused === null) return null
  return (
    `${label} at ${host}:${port} is unreachable (${refused}): start it, or point ${env} at one; ` +
    'set TEST_REQUIRE_SERVERS=1 to make this a failure instead of a skip'
  )
}

/** Null when `host:port` accepts a TCP connection within `timeoutMs`; otherwise why not. */
export function tcpRefusal(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs })
    const settle = (why: string | null) => {
      socket.destroy()
      resolve(why)
    }
    socket.once('connect', () => settle(null))
    socket.once('timeout', () => settle(`no answer within ${timeoutMs / 1000} s`))
    socket.once('error', (error: NodeJS.ErrnoException) => settle(error.code ?? error.message))
  })
}

/** The backend of that name (see BACKENDS). */
export function backendNamed(name: BackendKind): Backend {
  return BACKENDS.find((backend) => backend.name === name)!
}

/**
 * Runs `fn` as a subtest per backend. A backend whose server is unreachable is skipped with
 * the reason, or fails when TEST_REQUIRE_SERVERS=1.
 */
export async function forEachBackend(
  t: Test,
  fn: (t: Test, backend: Backend) => Promise<void> | void,
  backends: readonly Backend[] = BACKENDS,
): Promise<void> {
  for (const backend of backends) {
    const unreachable = backend.server ? await serverUnreachable(backend.server) : null
    if (unreachable && !REQUIRE_SERVERS) {
      t.test(backend.name, { skip: unreachable }, () => {})
    } else if (unreachable) {
      t.test(backend.name, async (t) => {
        t.fail(`${unreachable} (TEST_REQUIRE_SERVERS=1)`)
      })
    } else {
      t.test(backend.name, (t) => fn(t, backend))
    }
  }
}

/** The tap options that skip a test needing `server` when it is unreachable (see forEachBackend). */
export async function needsServer(server: Server): Promise<{ skip?: string }> {
  const unreachable = await serverUnreachable(server)
  return unreachable && !REQUIRE_SERVERS ? { skip: unreachable } : {}
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** A new empty PostgreSQL database (not migrated); dropped when the test ends. */
export async function createEmptyPostgres(t: Test): Promise<string> {
  const db = await createPostgresDatabase(PG_ADMIN_URL, 'fap_test')
  t.teardown(() => db.drop())
  return db.url
}

export async function freshPostgres(t: Test): Promise<TestDatabase<PrismaClient>> {
  const url = await createEmptyPostgres(t)
  const db = await openDatabase({ PrismaClient, databaseUrl: url })
  t.teardown(() => db.close())
  return { prisma: db.prisma, kind: 'postgresql', url }
}

// ---------------------------------------------------------------------------------------------
// MariaDB / MySQL

/**
 * A new empty MariaDB/MySQL database (not migrated); dropped when the test ends, after
 * `beforeDrop` (closing what uses it: MySQL waits for open transactions on its tables).
 */
export async function createEmptyMysql(t: Test, beforeDrop?: () => Promise<void>): Promise<string> {
  const db = await createMysqlDatabase(MYSQL_ADMIN_URL, 'fap_test')
  t.teardown(async () => {
    try {
      await beforeDrop?.()
    } finally {
      await db.drop()
    }
  })
  return db.url
}

export async function freshMysql(t: Test): Promise<TestDatabase<MysqlPrismaClient>> {
  let close: (() => Promise<void>) | undefined
  const url = await createEmptyMysql(t, () => close?.() ?? Promise.resolve())
  // The race tests start thousands of calls at once; their queue for the pool's 10 connections
  // outlasts the driver's default 10 s acquire timeout, which is a pool setting, not the store's.
  // Likewise its 1 s connect timeout, on a busy machine.
  const pooled = new URL(url)
  pooled.searchParams.set('acquireTimeout', '300000')
  pooled.searchParams.set('connectTimeout', '30000')
  const db = await openDatabase({ PrismaClient: MysqlPrismaClient, databaseUrl: pooled.toString() })
  close = () => db.close()
  return { prisma: db.prisma, kind: 'mysql', url }
}

// ---------------------------------------------------------------------------------------------
// SQLite

/** A file: URL of a database file that does not exist yet; its directory is removed at teardown. */
export async function createEmptySqlite(t: Test, beforeRemove?: () => Promise<void>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fap-sqlite-'))
  t.teardown(async () => {
    try {
      await beforeRemove?.()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
  return pathToFileURL(join(dir, 'test.db')).href
}

export async function freshSqlite(t: Test): Promise<TestDatabase<SqlitePrismaClient>> {
  let close: (() => Promise<void>) | undefined
  const url = await createEmptySqlite(t, () => close?.() ?? Promise.resolve())
  const db = await openDatabase({ PrismaClient: SqlitePrismaClient, databaseUrl: url })
  close = () => db.close()
  return { prisma: db.prisma, kind: 'sqlite', url }
}

/**
 * A second client on an existing server database (already migrated), by URL: for example
 * through a TCP proxy the test controls. Disconnected at teardown.
 */
export async function openClient(t: Test, kind: 'postgresql' | 'mysql', url: string): Promise<PrismaClient> {
  const db =
    kind === 'postgresql'
      ? await openDatabase({ PrismaClient, databaseUrl: url, migrate: false })
      : await openDatabase({ PrismaClient: MysqlPrismaClient, databaseUrl: url, migrate: false })
  t.teardown(() => db.close())
  return db.prisma as PrismaClient
}

// ---------------------------------------------------------------------------------------------
// PGlite

/** An in-memory PGlite copied from a migrated template (test/helpers/pglite-template.ts says why). */
export async function freshPGlite(t: Test): Promise<TestDatabase<PrismaClient>> {
  const db = new PGlite('memory://', { loadDataDir: await pgliteDump('migrated') })
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) })
  t.teardown(async () => {
    await prisma.$disconnect()
    await db.close()
  })
  return { prisma, kind: 'pglite' }
}

/** Every database the plugin supports. Use forEachBackend to skip unreachable servers. */
export const BACKENDS: readonly Backend[] = [
  { name: 'postgresql', server: 'postgresql', open: freshPostgres },
  { name: 'mysql', server: 'mysql', open: typedAsPostgres(freshMysql) },
  { name: 'sqlite', open: typedAsPostgres(freshSqlite) },
  { name: 'pglite', open: freshPGlite },
]
