// The merchant application under test, as a user would write it: Fastify, the application's
// own PrismaClient on PostgreSQL (adapter-pg, default pool), and the plugin. No request
// logging (logger off), as in most benchmark setups; reconcile off, so no background pass adds
// work the benchmark did not ask for.
import Fastify, { type FastifyInstance } from 'fastify'
import { PrismaClient } from '../../generated/prisma/client.js'
import { openDatabase } from '../../src/database/open-database.js'
import fastifyAlipayPlus, { type AlipayPlusOptions } from '../../src/index.js'
import type { MerchantKeyPems } from './keys.js'
import { CLIENT_ID } from './notify-requests.js'

export interface MerchantApp {
  app: FastifyInstance
  prisma: PrismaClient
  close(): Promise<void>
}

export async function openPrisma(databaseUrl: string): Promise<{ prisma: PrismaClient; close(): Promise<void> }> {
  const db = await openDatabase({ PrismaClient, databaseUrl, migrate: false })
  return { prisma: db.prisma, close: () => db.close() }
}

export async function buildMerchantApp(
  input: MerchantKeyPems & { databaseUrl: string; gatewayUrl: string } & Partial<Omit<AlipayPlusOptions, 'prisma'>>,
): Promise<MerchantApp> {
  const { databaseUrl, merchantPrivatePem, alipayPublicPem, gatewayUrl, ...overrides } = input
  const db = await openPrisma(databaseUrl)
  // forceCloseConnections: close() does not wait for the load generator's keep-alive sockets.
  const app = Fastify({ logger: false, forceCloseConnections: true })
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
