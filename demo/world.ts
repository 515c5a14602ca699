// Starts the demo's three parts, all real: the Alipay+ simulator on HTTP, the merchant app on
// HTTP with the plugin, and the database (embedded PGlite unless DATABASE_URL is set).
import { generateKeyPairSync } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { PrismaClient } from '../generated/prisma/client.js'
import type { AlipayPlusCommonOptions } from '../src/index.js'
import { openDatabase, type OpenedDatabase } from '../src/migrate.js'
import { createSimulator, type AlipayPlusSimulator, type Faults } from '../src/simulator/index.js'
import { buildMerchantApp } from './merchant-app.js'

export const CLIENT_ID = 'DEMO_CLIENT_ID'
export const NOTIFY_PATH = '/alipayplus/notifyPayment'

export interface DemoWorldOptions {
  databaseUrl?: string | undefined
  pgliteDir?: string | undefined
  merchantPort?: number
  simulatorPort?: number
  faults?: Partial<Faults>
  redeliveryScheduleMs?: number[]
  plugin?: Partial<AlipayPlusCommonOptions>
  logger?: boolean
}

export interface DemoWorld {
  db: OpenedDatabase<PrismaClient>
  sim: AlipayPlusSimulator
  app: FastifyInstance
  merchantUrl: string
  simulatorUrl: string
  close(): Promise<void>
}

function pem() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}

export async function startDemoWorld(options: DemoWorldOptions = {}): Promise<DemoWorld> {
  const merchantKeys = pem()
  const alipayKeys = pem()
  const db = await openDatabase({ PrismaClient, databaseUrl: options.databaseUrl, pgliteDir: options.pgliteDir })

  const sim = createSimulator({
    clientId: CLIENT_ID,
    merchantPublicKey: merchantKeys.publicKey,
    alipayPrivateKey: alipayKeys.privateKey,
    redeliveryScheduleMs: options.redeliveryScheduleMs ?? [0, 1_000, 2_000, 4_000, 8_000],
    faults: options.faults ?? {},
    logger: options.logger ? { level: 'info' } : false,
  })
  const simulatorUrl = await sim.listen({ port: options.simulatorPort ?? 0 })

  const app = await buildMerchantApp(
    {
      prisma: db.prisma,
      clientId: CLIENT_ID,
      privateKey: merchantKeys.privateKey,
      alipayPublicKey: alipayKeys.publicKey,
      gatewayUrl: simulatorUrl,
      ...options.plugin,
    },
    { logger: options.logger ? { level: 'info' } : false },
  )
  const merchantUrl = await app.listen({ port: options.merchantPort ?? 0, host: '127.0.0.1' })
  sim.setNotifyUrl(`${merchantUrl}${NOTIFY_PATH}`)

  return {
    db,
    sim,
    app,
    merchantUrl,
    simulatorUrl,
    async close() {
      await app.close()
      await sim.close()
      await db.close()
    },
  }
}
