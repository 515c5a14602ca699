// Throw-away databases on the servers, for the tests (databases.ts drops them when a test ends)
// and the benchmarks (bench/lib/database.ts): created empty under a random name on the server
// the admin URL points at, dropped by drop().
import { randomBytes } from 'node:crypto'
import mariadb, { type Connection } from 'mariadb'
import pg from 'pg'

export interface ScratchDatabase {
  name: string
  /** The admin URL with the new database's name as its path. */
  url: string
  drop(): Promise<void>
}

function scratchName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`
}

function urlOf(adminUrl: string, name: string): string {
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

async function pgAdmin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

export async function createPostgresDatabase(adminUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = scratchName(prefix)
  await pgAdmin(adminUrl, `CREATE DATABASE ${name}`)
  // FORCE: a client the code under test left open (a killed process's) does not keep it.
  return { name, url: urlOf(adminUrl, name), drop: () => pgAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
}

async function mysqlAdmin(adminUrl: string, sql: string): Promise<void> {
  const url = new URL(adminUrl)
  const connection: Connection = await mariadb.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password),
    // The driver's default is 1 s, which a busy machine overran (a suite beside a CPU hog).
    connectTimeout: 30_000,
  })
  try {
    await connection.query(sql)
  } finally {
    await connection.end()
  }
}

/** MariaDB / MySQL. Close what uses the database before drop(): MySQL waits for open transactions on its tables. */
export async function createMysqlDatabase(adminUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = scratchName(prefix)
  await mysqlAdmin(adminUrl, `CREATE DATABASE \`${name}\``)
  return { name, url: urlOf(adminUrl, name), drop: () => mysqlAdmin(adminUrl, `DROP DATABASE IF EXISTS \`${name}\``) }
}
