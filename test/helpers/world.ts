// A whole payment world over real HTTP: the Alipay+ simulator, a merchant app with the plugin
// listening on 127.0.0.1 (so the simulator can deliver notifications), and a fresh database.
import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { createSimulator, type AlipayPlusSimulator, type Faults } from '../../src/simulator/index.js'
import type { OrderStore } from '../../src/store/order-store.js'
import type { PrismaClient } from '../../generated/prisma/client.js'
import { type Backend, freshPostgres } from './databases.js'
import { rsaKeyPair } from './keys.js'
import { type AppOverrides, buildMerchantApp, CLIENT_ID } from './merchant-app.js'
import { NOTIFY_PATH } from './notify-request.js'

// Every log line each world app wrote, as text (see logsOf).
const appLogs = new WeakMap<FastifyInstance, string[]>()

/** The log lines `app` (built by a world) wrote, parsed. */
export function logsOf(app: FastifyInstance): Array<{ level: number; msg: string; orderNo?: string; [key: string]: unknown }> {
  return (appLogs.get(app) ?? []).map((line) => JSON.parse(line) as { level: number; msg: string })
}

export const merchantKeys = rsaKeyPair()
export const alipayKeys = rsaKeyPair()

/**
 * Fast ticks so tests finish in seconds; the shape is the production one. The window is wide so
 * that a loaded machine never turns a slow test into an early "init": tests of the window's end
 * pass their own timeoutMs.
 */
export const FAST_POLLING = { minTimeoutMs: 20, maxTimeoutMs: 100, factor: 2, randomize: false, maxRetryTimeMs: 60_000 }

/** Ticks some 200 times faster than production's take a per-second cap to match; tests of the cap set their own. */
export const FAST_RATE = 10_000

export interface World {
  sim: AlipayPlusSimulator
  simUrl: string
  prisma: PrismaClient
  /** URL of the world's database (server databases and SQLite). */
  databaseUrl: string | undefined
  app: FastifyInstance
  store: OrderStore
  /** Creates the order in the merchant's database and the payment at Alipay+. */
  order(orderNo: string, amount?: { currency: string; value: string }): Promise<void>
  /** Another merchant app instance on the same database and simulator. */
  addApp(options?: AppOverrides): Promise<FastifyInstance>
}

export async function buildWorld(
  t: Test,
  options: {
    /** The database the world runs on. Default: a fresh PostgreSQL database. */
    backend?: Backend
    faults?: Partial<Faults>
    /** Options of every app of the world; a function for options that need the database's URL. */
    app?: AppOverrides | ((database: { url: string | undefined }) => AppOverrides)
    listen?: boolean
    redeliveryScheduleMs?: number[]
  } = {},
): Promise<World> {
  const { prisma, url } = await (options.backend?.open ?? freshPostgres)(t)
  const appOptions = typeof options.app === 'function' ? options.app({ url }) : options.app
  const sim = createSimulator({
    clientId: CLIENT_ID,
    merchantPublicKey: merchantKeys.publicPem,
    alipayPrivateKey: alipayKeys.privatePem,
    redeliveryScheduleMs: options.redeliveryScheduleMs ?? [0, 50, 100, 200, 400],
    faults: options.faults ?? {},
  })
  const simUrl = await sim.listen()
  t.teardown(() => sim.close())

  const addApp = async (overrides: AppOverrides = {}) => {
    const { app, logs } = await buildMerchantApp(t, {
      prisma,
      merchant: merchantKeys,
      alipay: alipayKeys,
      gatewayUrl: simUrl,
      polling: FAST_POLLING,
      maxInquiriesPerSecond: FAST_RATE,
      // Long enough that an answer delayed by a busy machine is never taken for a lost one (a
      // timed-out inquiry is retried, and counted twice). A test about timeouts sets its own.
      requestTimeoutMs: 10_000,
      ...appOptions,
      ...overrides,
    })
    appLogs.set(app, logs)
    return app
  }
  const app = await addApp()
  if (options.listen !== false) {
    const appUrl = await app.listen({ port: 0, host: '127.0.0.1' })
    sim.setNotifyUrl(`${appUrl}${NOTIFY_PATH}`)
  }
  const store = app.alipayplus.store
  return {
    sim,
    simUrl,
    prisma,
    databaseUrl: url,
    app,
    store,
    addApp,
    async order(orderNo, amount = { currency: 'USD', value: '100' }) {
      await store.createOrder({ orderNo, amount })
      sim.createPayment({ paymentRequestId: orderNo, amount })
    },
  }
}

/**
 * Resolves once `check` returns true (polled); fails the wait after `ms`, long enough that a
 * loaded CI machine is not mistaken for a failure (a passing check returns at once).
 */
export async function until(check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
