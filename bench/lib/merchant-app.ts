// The merchant application under test, as a user would write it: Fastify, the application's
// own PrismaClient opened by openDatabase (PostgreSQL by adapter-pg with its default pool of
// 10, MariaDB by adapter-mariadb, pool of 10, SQLite by adapter-libsql, PGlite in process),
// and the plugin. No request
// logging (logger off unless the caller gives one), as in most benchmark setups; reconcile off,
// so no background pass adds work the benchmark did not ask for.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { PrismaClient as MysqlPrismaClient } from '../../generated/mysql/client.js'
import { PrismaClient } from '../../generated/prisma/client.js'
import { PrismaClient as SqlitePrismaClient } from '../../generated/sqlite/client.js'
import { openDatabase } from '../../src/database/open-database.js'
import fastifyAlipayPlus, { type AlipayPlusCommonOptions } from '../../src/index.js'
import type { MerchantKeyPems } from './keys.js'
import { CLIENT_ID } from './notify-requests.js'

export interface MerchantApp {
  app: FastifyInstance
  prisma: PrismaClient
  close(): Promise<void>
}

/**
 * The client generated for the URL's provider. Typed as the PostgreSQL client: the model calls
 * are the same on every provider, and the plugin takes any of them.
 */
function clientFor(databaseUrl: string): new (options: { adapter: any }) => PrismaClient {
  if (/^(mysql|mariadb):/i.test(databaseUrl)) return MysqlPrismaClient as unknown as typeof PrismaClient
  if (/^file:/i.test(databaseUrl)) return SqlitePrismaClient as unknown as typeof PrismaClient
  return PrismaClient
}

/**
 * A client on an already migrated database, or, with no URL, on PGlite in `pgliteDir`,
 * migrated here (PGlite lives in this process: one connection, no server).
 */
export async function openPrisma(databaseUrl: string, pgliteDir?: string): Promise<{ prisma: PrismaClient; close(): Promise<void> }> {
  const db = await openDatabase({ PrismaClient: clientFor(databaseUrl), databaseUrl, pgliteDir, migrate: databaseUrl === '' })
  return { prisma: db.prisma, close: () => db.close() }
}

export async function buildMerchantApp(
  input: MerchantKeyPems & { databaseUrl: string; pgliteDir?: string; gatewayUrl: string; logger?: FastifyServerOptions['logger'] } & Partial<AlipayPlusCommonOptions>,
): Promise<MerchantApp> {
  const { databaseUrl, pgliteDir, merchantPrivatePem, alipayPublicPem, gatewayUrl, logger = false, ...overrides } = input
  const db = await openPrisma(databaseUrl, pgliteDir)
  // forceCloseConnections: close() does not wait for the load generator's keep-alive sockets.
  const app = Fastify({ logger, forceCloseConnections: true })
  await app.register(fastifyAlipayPlus, {
    prisma: db.prisma,
    clientId: CLIENT_ID,
    privateKey: merchantPrivatePem,
    alipayPublicKey: alipayPublicPem,
    gatewayUrl,
    reconcile: false,
    ...overrides,
  })
  await app.ready()
  return {
    app,
    prisma: db.prisma,
    async close() {
      await app.close()
      await db.close()
    },
  }
}
