// Starts the demo's parts, all real: the Alipay+ simulator on HTTP, two merchant instances on
// HTTP (two Fastify apps with the plugin and their own onPaymentResult, in this process),
// a round-robin front that Alipay+ notifies, and the one database both instances share
// (embedded PGlite unless DATABASE_URL is set). In one process because PGlite is in process:
// two processes cannot share it; on PostgreSQL the instances still meet only in the database.
import type { FastifyInstance } from 'fastify'
import { PrismaClient } from '../generated/prisma/client.js'
import type { AlipayPlusCommonOptions, PaymentResultHandler } from '../src/index.js'
import { openDatabase, type OpenedDatabase } from '../src/migrate.js'
import { createSimulator, type AlipayPlusSimulator, type Faults } from '../src/simulator/index.js'
import { startFront } from './front.js'
import { createMerchantApp } from '../test/helpers/merchant-app.js'
import { rsaKeyPair } from '../test/helpers/keys.js'
import { merchantRoutes } from './merchant-app.js'

export const CLIENT_ID = 'DEMO_CLIENT_ID'
export const NOTIFY_PATH = '/alipayplus/notifyPayment'

export const INSTANCE_NAMES = ['A', 'B'] as const

export interface DemoWorldOptions {
  databaseUrl?: string | undefined
  pgliteDir?: string | undefined
  /** The front's port: what Alipay+ notifies and what curl talks to. */
  merchantPort?: number
  simulatorPort?: number
  faults?: Partial<Faults>
  redeliveryScheduleMs?: number[]
  plugin?: Partial<AlipayPlusCommonOptions>
  /** Each instance's onPaymentResult, by instance name. */
  handler?: (instance: string) => PaymentResultHandler
  logger?: boolean
  /** Told as each part is up (npm start prints them: a fresh PGlite takes seconds to create). */
  onStarted?: (part: string) => void
}

/** One merchant instance, and the notifications it answered 200 (its share of the front's). */
export interface MerchantInstance {
  name: string
  app: FastifyInstance
  url: string
  notificationsAnswered(): number
}

export interface DemoWorld {
  db: OpenedDatabase<PrismaClient>
  sim: AlipayPlusSimulator
  instances: MerchantInstance[]
  /** The front: round-robin over the instances. */
  merchantUrl: string
  simulatorUrl: string
  close(): Promise<void>
}

export async function startDemoWorld(options: DemoWorldOptions = {}): Promise<DemoWorld> {
  const merchantKeys = rsaKeyPair()
  const alipayKeys = rsaKeyPair()
  const started = performance.now()
  const up = (part: string) => options.onStarted?.(`${part} (${((performance.now() - started) / 1000).toFixed(1)} s)`)
  const db = await openDatabase({ PrismaClient, databaseUrl: options.databaseUrl, pgliteDir: options.pgliteDir })
  up(`database ready: ${db.kind}, migrated`)

  const sim = createSimulator({
    clientId: CLIENT_ID,
    merchantPublicKey: merchantKeys.publicPem,
    alipayPrivateKey: alipayKeys.privatePem,
    redeliveryScheduleMs: options.redeliveryScheduleMs ?? [0, 1_000, 2_000, 4_000, 8_000],
    faults: options.faults ?? {},
    logger: options.logger ? { level: 'info' } : false,
  })
  const simulatorUrl = await sim.listen({ port: options.simulatorPort ?? 0 })
  up(`Alipay+ simulator listening on ${simulatorUrl}`)

  const instances: MerchantInstance[] = []
  const ownClients: OpenedDatabase<PrismaClient>[] = []
  for (const name of INSTANCE_NAMES) {
    // On PostgreSQL each instance after the first gets its own client and pool, as a separate
    // process would; PGlite is one in-process database with one connection: they share it.
    const client = instances.length === 0 || !options.databaseUrl ? db : await openDatabase({ PrismaClient, databaseUrl: options.databaseUrl, migrate: false })
    if (client !== db) ownClients.push(client)
    let answered = 0
    const app = await createMerchantApp({
      prisma: client.prisma,
      clientId: CLIENT_ID,
      privateKey: merchantKeys.privatePem,
      alipayPublicKey: alipayKeys.publicPem,
      gatewayUrl: simulatorUrl,
      reconcile: {}, // on, with its defaults, as in production
      // A result recorded by one instance wakes the other's waiters: LISTEN/NOTIFY on
      // PostgreSQL; with PGlite the instances share one process, and the database poll will do.
      wakeup: options.databaseUrl ? { postgres: options.databaseUrl } : { pollMs: 200 },
      ...options.plugin,
      ...(options.handler ? { onPaymentResult: options.handler(name) } : {}),
      async setup(app) {
        app.addHook('onResponse', async (request, reply) => {
          if (request.url === NOTIFY_PATH && reply.statusCode === 200) answered++
        })
        await merchantRoutes(app)
      },
      fastify: { logger: options.logger ? { level: 'info' } : false },
    })
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    instances.push({ name, app, url, notificationsAnswered: () => answered })
    up(`merchant instance ${name} listening on ${url}`)
  }
  const front = await startFront(
    instances.map((instance) => instance.url),
    options.merchantPort ?? 0,
  )
  sim.setNotifyUrl(`${front.url}${NOTIFY_PATH}`)
  up(`round-robin front on ${front.url}: Alipay+ notifies ${front.url}${NOTIFY_PATH}`)

  return {
    db,
    sim,
    instances,
    merchantUrl: front.url,
    simulatorUrl,
    async close() {
      await front.close()
      for (const instance of instances) await instance.app.close()
      for (const client of ownClients) await client.close()
      await sim.close()
      await db.close()
    },
  }
}
