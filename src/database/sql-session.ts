// One database session (a single connection) for the migration applier: session-level
// advisory locks and multi-statement migration files need exactly one connection, which
// Prisma's pooled driver adapters do not promise.
export interface SqlSession {
  /** A parameterised single statement. */
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
  const client: PgClientLike = new pg.Client({ connectionString })
  await client.connect()
  return {
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
    query: async <Row>(sql: string, params?: unknown[]) => (await db.query<Row>(sql, params)).rows,
    exec: async (sql) => {
      await db.exec(sql)
    },
    close: async () => {},
  }
}
