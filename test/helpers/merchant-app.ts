// A merchant application as a user would write it: Fastify with the plugin registered, its own
// PrismaClient, and a log stream the tests can read.
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import fastifyAlipayPlus, { type AlipayPlusCommonOptions, type AlipayPlusOptions } from '../../src/index.js'
import type { ModelNames } from '../../src/store/payment-models.js'
import type { KeyPair } from './keys.js'

export const CLIENT_ID = 'SANDBOX_5YEZ9J2Y2KJT04536'

/** Options a test may set on top of the defaults below: any but the keys, and the model names. */
export type AppOverrides = Partial<AlipayPlusCommonOptions> & { models?: ModelNames }

export interface MerchantApp {
  app: FastifyInstance
  /** Every log line the app wrote, as text. */
  logs: string[]
}

export async function buildMerchantApp(
  t: Test,
  input: {
    prisma: object
    merchant: KeyPair
    alipay: KeyPair
    /** Registers the application's other plugins and routes, after this one and before ready. */
    register?: (app: FastifyInstance) => Promise<void>
  } & AppOverrides,
): Promise<MerchantApp> {
  const { prisma, merchant, alipay, register, ...overrides } = input
  const logs: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(chunk.toString())
      done()
    },
  })
  // forceCloseConnections: close() also drops a connection the simulator has opened for its next
  // notification but not yet used, which Node does not count as idle; otherwise close() waits
  // for the server's headers timeout (about 70 s seen) at the end of a test.
  const app = Fastify({ logger: { level: 'debug', stream }, forceCloseConnections: true })
  await app.register(fastifyAlipayPlus, {
    prisma,
    clientId: CLIENT_ID,
    privateKey: merchant.privatePem,
    alipayPublicKey: alipay.publicPem,
    gatewayUrl: 'http://127.0.0.1:9',
    reconcile: false,
    ...overrides,
  } as AlipayPlusOptions)
  t.teardown(() => app.close())
  await register?.(app)
  await app.ready()
  return { app, logs }
}
