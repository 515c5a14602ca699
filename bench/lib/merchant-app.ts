// The merchant application under test: the tests' createMerchantApp on the application's own
// PrismaClient opened by openDatabase (PostgreSQL by adapter-pg with its default pool of 10,
// MariaDB by adapter-mariadb, pool of 10, SQLite by adapter-libsql, PGlite in process). No
// request logging (logger off unless the caller gives one), as in most benchmark setups;
// reconcile off, so no background pass adds work the benchmark did not ask for.
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { PrismaClient as MysqlPrismaClient } from '../../generated/mysql/client.js'
import { PrismaClient } from '../../generated/prisma/client.js'
import { PrismaClient as SqlitePrismaClient } from '../../generated/sqlite/client.js'
import { openDatabase } from '../../src/database/open-database.js'
import type { AlipayPlusCommonOptions } from '../../src/index.js'
import { createMerchantApp } from '../../test/helpers/merchant-app.js'
import type { MerchantKeyPems } from './keys.js'

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
  const { databaseUrl, pgliteDir, merchantPrivatePem, alipayPublicPem, logger = false, ...options } = input
  const db = await openPrisma(databaseUrl, pgliteDir)
  const app = await createMerchantApp({ ...options, prisma: db.prisma, privateKey: merchantPrivatePem, alipayPublicKey: alipayPublicPem, fastify: { logger } })
  return {
    app,
    prisma: db.prisma,
    async close() {
      await app.close()
      await db.close()
    },
  }
}
