// The plugin's types as an application sees them: registering with the options, the
// decorators it adds, and what awaitPaymentResult resolves with.
import { generateKeyPairSync } from 'node:crypto'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { describe, expect, omit, test } from 'tstyche'
import fastifyAlipayPlus, {
  DEFAULTS,
  type AlipayPlusDecorator,
  type AlipayPlusOptions,
  type AttentionAlert,
  type AttentionKind,
  type AttentionReason,
  type AwaitOptions,
  type PaymentPrismaClient,
  type PaymentResult,
  type PaymentStatus,
  type PollerStats,
  type ResultSource,
} from '../../src/index.js'
import type { InquiryClient } from '../../src/protocol/index.js'
import type { OrderStore } from '../../src/store/index.js'
import type { PrismaClient as PostgresClient } from '../../generated/prisma/client.js'
import type { PrismaClient as MysqlClient } from '../../generated/mysql/client.js'
import type { PrismaClient as SqliteClient } from '../../generated/sqlite/client.js'
import type { PrismaClient as RenamedClient } from '../../generated/renamed/client.js'

declare const prisma: PaymentPrismaClient
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const options = {
  prisma,
  clientId: 'CLIENT',
  privateKey,
  alipayPublicKey: publicKey,
  gatewayUrl: 'https://open-sea-global.alipayplus.com',
}
const app = Fastify()

describe('options', () => {
  test('the required options, with keys as PEM strings or KeyObjects', () => {
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, options)
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, { ...options, privateKey: 'PEM', alipayPublicKey: ['PEM', publicKey] })
  })

  test('every optional option', () => {
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, {
      ...options,
      notifyPath: '/alipayplus/notifyPayment',
      keyVersion: '1',
      requestTimeoutMs: 10_000,
      notifyBodyLimit: 65_536,
      polling: { minTimeoutMs: 4000, maxTimeoutMs: 60_000, factor: 2, randomize: false, maxRetryTimeMs: 600_000 },
      maxConcurrentInquiries: 16,
      maxInquiriesPerSecond: 50,
      reconcile: { intervalMs: 60_000, minAgeMs: 60_000, batchSize: 100, maxAgeMs: 172_800_000 },
      leaseMarginMs: 30_000,
      cancelAfterWindow: false,
      onAttention: (alert: AttentionAlert) => {
        void alert
      },
    })
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, { ...options, onAttention: async () => {} })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, onAttention: 'https://hooks.example' })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, cancelAfterWindow: 'yes' })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, maxInquiriesPerSecond: '50' })
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, { ...options, reconcile: false })
    expect(DEFAULTS).type.toBeAssignableTo<Partial<AlipayPlusOptions>>()
  })

  test('the old names of renamed options are refused', () => {
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, polling: { minTimeout: 4000 } })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, polling: { maxTimeout: 60_000 } })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, polling: { maxRetryTime: 600_000 } })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, delivery: { minTimeout: 1000 } })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, leaseMs: 30_000 })
  })

  test('wakeup: one channel, a connection string or object, or the poll, or false', () => {
    const redis = new Redis({ lazyConnect: true })
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, { ...options, wakeup: { postgres: 'postgresql://127.0.0.1/shop' } })
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, { ...options, wakeup: { postgres: { host: '127.0.0.1', port: 5432 }, channel: 'shop_final' } })
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, { ...options, wakeup: { redis: 'redis://127.0.0.1:6379' } })
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, { ...options, wakeup: { redis } })
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, { ...options, wakeup: { pollMs: 500 } })
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, { ...options, wakeup: false })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, wakeup: true })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, wakeup: 'redis://127.0.0.1:6379' })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, wakeup: { pollMs: '1s' } })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, wakeup: { redis: 6379 } })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, wakeup: { pollMs: 500, channel: 'x' } })
  })

  test('a required option left out does not compile', () => {
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, omit(options, 'prisma'))
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, omit(options, 'clientId'))
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, omit(options, 'privateKey'))
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, omit(options, 'alipayPublicKey'))
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, omit(options, 'gatewayUrl'))
  })

  test('an option of the wrong type does not compile', () => {
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, clientId: 42 })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, requestTimeoutMs: '10s' })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, polling: { factor: '2' } })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, reconcile: true })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, prisma: {} })
  })

  test('renamed models: any client with `models`; without it, the client must have the default names', () => {
    const renamed = {} as RenamedClient
    const models = { order: 'alipayOrder', event: 'alipayEvent' }
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, { ...options, prisma: renamed, models })
    // Its `paymentOrder` is the application's own model, not the plugin's.
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, prisma: renamed })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, prisma: renamed, models: { order: 1 } })
  })

  test('a misspelt option does not compile', () => {
    // @ts-expect-error Object literal may only specify known properties, but 'gatewayURL' does not exist
    const misspelt: AlipayPlusOptions = { ...options, gatewayURL: 'https://open-sea-global.alipayplus.com' }
    expect(misspelt).type.toBe<AlipayPlusOptions>()
  })

  // The contract between the schemas and the store: a generated client of any provider is a
  // valid `prisma` option, with no cast.
  test("every provider's generated PrismaClient fits the prisma option", () => {
    expect<PostgresClient>().type.toBeAssignableTo<PaymentPrismaClient>()
    expect<MysqlClient>().type.toBeAssignableTo<PaymentPrismaClient>()
    expect<SqliteClient>().type.toBeAssignableTo<PaymentPrismaClient>()
  })
})

describe('decorators', () => {
  test('fastify.awaitPaymentResult', () => {
    expect(app.awaitPaymentResult('order-1')).type.toBe<Promise<PaymentResult>>()
    expect(app.awaitPaymentResult).type.toBeCallableWith('order-1', { timeoutMs: 1000, signal: AbortSignal.timeout(1000) })
    expect(app.awaitPaymentResult).type.not.toBeCallableWith(42)
    expect(app.awaitPaymentResult).type.not.toBeCallableWith('order-1', { timeout: 1000 })
    expect<AwaitOptions>().type.toBe<{ signal?: AbortSignal; timeoutMs?: number }>()
  })

  test('fastify.alipayplus', () => {
    expect(app.alipayplus).type.toBe<AlipayPlusDecorator>()
    expect(app.alipayplus.store).type.toBe<OrderStore>()
    expect(app.alipayplus.inquiryClient).type.toBe<InquiryClient>()
    expect(app.alipayplus.reconcileNow()).type.toBe<Promise<number>>()
    expect(app.alipayplus.stats()).type.toBe<PollerStats>()
  })
})

describe('PaymentResult', () => {
  test('its fields', () => {
    expect<PaymentResult>().type.toBe<{
      orderNo: string
      status: PaymentStatus
      final: boolean
      source: ResultSource | null
      paymentId?: string
      resultCode?: string
      resultMessage?: string
      paymentTime?: Date
      attention?: string
    }>()
    expect<PaymentStatus>().type.toBe<'init' | 'SUCCESS' | 'FAIL'>()
    expect<ResultSource>().type.toBe<'notify' | 'inquiry' | 'cancel' | 'manual'>()
  })
})

describe('AttentionAlert', () => {
  test('a union discriminated by kind, each with its details', () => {
    expect<AttentionKind>().type.toBe<
      | 'conflicting_result'
      | 'amount_mismatch'
      | 'setup_error'
      | 'invalid_answer'
      | 'cancel_refused'
      | 'cancel_unconfirmed'
      | 'cancel_deadline_passed'
      | 'gave_up'
      | 'success_after_cancel'
      | 'not_found'
      | 'delivery_failing'
      | 'delivery_exhausted'
    >()
    expect<AttentionAlert['orderNo']>().type.toBe<string>()
    expect<AttentionAlert['source']>().type.toBe<ResultSource>()
    expect<AttentionAlert['attention']>().type.toBe<AttentionReason | null>()
    expect<Extract<AttentionAlert, { kind: 'conflicting_result' }>['recorded']['status']>().type.toBe<'SUCCESS' | 'FAIL'>()
    expect<Extract<AttentionAlert, { kind: 'amount_mismatch' }>['received']>().type.toBe<{ currency: string; value: string }>()
    expect<Extract<AttentionAlert, { kind: 'setup_error' }>['alipayResultCode']>().type.toBe<string>()
    expect<Extract<AttentionAlert, { kind: 'gave_up' }>['createdAt']>().type.toBe<Date>()
    expect<Extract<AttentionAlert, { kind: 'success_after_cancel' }>['cancelState']>().type.toBe<'sent' | 'confirmed'>()
    expect<Extract<AttentionAlert, { kind: 'not_found' }>['notFoundCount']>().type.toBe<number>()
    expect<Extract<AttentionAlert, { kind: 'delivery_failing' }>['lastError']>().type.toBe<string>()
    expect<Extract<AttentionAlert, { kind: 'delivery_exhausted' }>['lastError']>().type.toBe<string | null>()
    expect<Extract<AttentionAlert, { kind: 'delivery_exhausted' }>['attempts']>().type.toBe<number>()
    expect<Extract<AttentionAlert, { kind: 'delivery_exhausted' }>['status']>().type.toBe<'SUCCESS' | 'FAIL'>()
  })
})
