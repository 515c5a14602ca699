// A merchant application as a user would write it: Fastify with the plugin registered and the
// application's own PrismaClient. createMerchantApp is the one builder of the tests, the
// benchmarks and the demo; buildMerchantApp adds what a tap test wants (a log it can read, and
// close() at the test's end).
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { Test } from 'tap'
import fastifyAlipayPlus, { type AlipayPlusCommonOptions, type AlipayPlusOptions } from '../../src/index.js'
import type { ModelNames } from '../../src/store/payment-models.js'
import type { KeyPair } from './keys.js'

export const CLIENT_ID = 'SANDBOX_5YEZ9J2Y2KJT04536'

/** Options a caller may set on top of the defaults below: any but the keys, and the model names. */
export type AppOverrides = Partial<AlipayPlusCommonOptions> & {
  models?: ModelNames
  /** The app's own plugins and routes, registered after the plugin, before ready. */
  setup?: (app: FastifyInstance) => Promise<void> | void
}

export type MerchantAppInput = AppOverrides & {
  prisma: object
  /** The merchant's private key and Alipay+'s public key, in any encoding the plugin takes. */
  privateKey: AlipayPlusOptions['privateKey']
  alipayPublicKey: AlipayPlusOptions['alipayPublicKey']
  fastify?: FastifyServerOptions
}

/**
 * A ready app. Defaults: this file's client ID, a gateway nobody listens on (127.0.0.1:9), no
 * reconciler, no log, and forceCloseConnections, so that close() also drops a connection a
 * client (the simulator, a load generator) holds open for its next request, which Node does not
 * count as idle: otherwise close() waits for the server's headers timeout (about 70 s seen).
 */
export async function createMerchantApp(input: MerchantAppInput): Promise<FastifyInstance> {
  const { fastify, setup, ...options } = input
  const app = Fastify({ logger: false, forceCloseConnections: true, ...fastify })
  await app.register(fastifyAlipayPlus, {
    clientId: CLIENT_ID,
    gatewayUrl: 'http://127.0.0.1:9',
    reconcile: false,
    ...options,
  } as AlipayPlusOptions)
  await setup?.(app)
  await app.ready()
  return app
}

export interface MerchantApp {
  app: FastifyInstance
  /** Every log line the app wrote, as text. */
  logs: string[]
}

/** A test's app: logged at debug into `logs`, closed when the test ends. */
export async function buildMerchantApp(
  t: Test,
  input: { prisma: object; merchant: KeyPair; alipay: KeyPair } & AppOverrides,
): Promise<MerchantApp> {
  const { merchant, alipay, ...overrides } = input
  const logs: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(chunk.toString())
      done()
    },
  })
  const app = await createMerchantApp({
    privateKey: merchant.privatePem,
    alipayPublicKey: alipay.publicPem,
    ...overrides,
    fastify: { logger: { level: 'debug', stream } },
  })
  t.teardown(() => app.close())
  return { app, logs }
}
