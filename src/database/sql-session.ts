// One database session (a single connection) for the migration applier: session-level locks
// and multi-statement migration files need exactly one connection, which Prisma's pooled
// driver adapters do not promise. Each opener loads its driver only when called, so the
// drivers stay optional peers. Their URLs hold passwords: parsed and reported through
// secret-url.ts, never with the URL in an error.
import { connectionError, parseSecretUrl } from '../secret-url.js'

/** The SQL dialect of a session, as Prisma's datasource `provider` names it. */
export type SqlProvider = 'postgresql' | 'mysql' | 'sqlite'

export interface SqlSession {
  readonly provider: SqlProvider
  /** A parameterised single statement: `$1` placeholders on PostgreSQL, `?` on MySQL and SQLite. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>
  /** Several statements, no parameters (a migration file). */
  exec(sql: string): Promise<void>
  close(): Promise<void>
}

interface PgClientLike {
  connect(): Promise<unknown>
  query(sql: string, params?: unknown[]): Promise<{ rows: any[] }>
  end(): Promise<void>
}

interface PGliteLike {
  query<Row>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>
  exec(sql: string): Promise<unknown>
}

/** A session on a PostgreSQL server, through `pg` (the driver under @prisma/adapter-pg). */
export async function openPgSession(connectionString: string): Promise<SqlSession> {
  const { default: pg } = await import('pg')
  // Prisma's URL convention names the schema in `?schema=`; pg does not know it. Migrations
  // create their objects unqualified: in that schema, made if missing, as `prisma migrate` does.
  const url = parseSecretUrl(connectionString, 'connectionString')
  const schema = url.searchParams.get('schema')
  url.searchParams.delete('schema')
  const client: PgClientLike = new pg.Client({ connectionString: url.toString() })
  // pg's own errors name the host or the refusal, never the password: passed on as they are.
  await client.connect()
  if (schema) {
    const quoted = `"${schema.replaceAll('"', '""')}"`
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}; SET search_path TO ${quoted}`)
  }
  return {
    provider: 'postgresql',
    query: async (sql, params) => (await client.query(sql, params)).rows,
    // Without parameters pg uses the simple query protocol, which accepts several statements.
    exec: async (sql) => {
      await client.query(sql)
    },
    close: () => client.end(),
  }
}

/** A session on an embedded PGlite database. The caller keeps ownership of `db`. */
export function pgliteSession(db: PGliteLike): SqlSession {
  return {
    provider: 'postgresql',
    query: async <Row>(sql: string, params?: unknown[]) => (await db.query<Row>(sql, params)).rows,
    exec: async (sql) => {
      await db.exec(sql)
    },
    close: async () => {},
  }
}

/**
 * A session on MySQL or MariaDB (`mysql://` or `mariadb://` URL), through the `mariadb`
 * driver (the one under @prisma/adapter-mariadb).
 */
export async function openMysqlSession(url: string): Promise<SqlSession> {
  const { default: mariadb } = await import('mariadb')
  const connectionString = mariadbConnectionString(url)
  let connection: import('mariadb').Connection
  try {
    connection = await mariadb.createConnection(connectionString)
  } catch (error) {
    // The driver's messages can quote the connection string, password included.
    throw connectionError('cannot connect to MySQL/MariaDB', error, url)
  }
  return {
    provider: 'mysql',
    query: async (sql, params) => {
      const result = await connection.query(sql, params)
      return Array.isArray(result) ? result : []
    },
    exec: async (sql) => {
      await connection.query(sql)
    },
    close: () => connection.end(),
  }
}

// The driver only reads mariadb:// strings; migration files need multipleStatements.
function mariadbConnectionString(url: string): string {
  const parsed = parseSecretUrl(url, 'url')
  if (parsed.protocol === 'mysql:') parsed.protocol = 'mariadb:'
  parsed.searchParams.set('multipleStatements', 'true')
  return parsed.toString()
}

/**
 * A session on an SQLite database file (`file:` URL), through @libsql/client (the driver
 * under @prisma/adapter-libsql).
 *
 * @libsql/client hides its connection: its executeMultiple rolls back any open transaction,
 * and only its own transaction() keeps one connection across calls. So BEGIN [IMMEDIATE |
 * EXCLUSIVE | DEFERRED], COMMIT and ROLLBACK given to exec() open and end such a transaction,
 * and every statement in between runs inside it, as on a plain SQLite connection.
 */
export async function openSqliteSession(url: string): Promise<SqlSession> {
  const { createClient } = await import('@libsql/client')
  const client = createClient({ url })
  let transaction: import('@libsql/client').Transaction | null = null
  const current = () => transaction ?? client
  return {
    provider: 'sqlite',
    query: async <Row>(sql: string, params: unknown[] = []) => {
      const result = await current().execute({ sql, args: params as any[] })
      return result.rows.map((row) => Object.fromEntries(result.columns.map((column, i) => [column, row[i]])) as Row)
    },
    exec: async (sql) => {
      const begin = /^\s*BEGIN(?:\s+(DEFERRED|IMMEDIATE|EXCLUSIVE))?(?:\s+TRANSACTION)?\s*;?\s*$/i.exec(sql)
      if (begin && !transaction) {
        // Another process holding the write lock (an applier's BEGIN IMMEDIATE) is waited for,
        // not reported as SQLITE_BUSY at once. Set on the connection the transaction takes.
        await client.execute('PRAGMA busy_timeout = 60000')
        const mode = begin[1]?.toUpperCase()
        transaction = await client.transaction(mode === 'DEFERRED' ? 'deferred' : 'write')
        return
      }
      if (transaction && /^\s*(COMMIT|END)(\s+TRANSACTION)?\s*;?\s*$/i.test(sql)) {
        const ending = transaction
        transaction = null
        await ending.commit()
        ending.close()
        return
      }
      if (transaction && /^\s*ROLLBACK(\s+TRANSACTION)?\s*;?\s*$/i.test(sql)) {
        const ending = transaction
        transaction = null
        await ending.rollback()
        ending.close()
        return
      }
      await current().executeMultiple(sql)
    },
    close: async () => {
      transaction?.close()
      client.close()
    },
  }
}
