// onPaymentResult and its delivery options as an application sees them: the handler's
// arguments, what it may return, the options under p-retry's names, and the decorators.
import { generateKeyPairSync } from 'node:crypto'
import Fastify from 'fastify'
import { describe, expect, test } from 'tstyche'
import fastifyAlipayPlus, {
  DEFAULTS,
  type DeliveryOptions,
  type DeliveryStats,
  type PaymentPrismaClient,
  type PaymentResult,
  type PaymentResultContext,
  type PaymentResultHandler,
} from '../../src/index.js'
import type { PaymentOrderRecord } from '../../src/store/index.js'

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

describe('onPaymentResult', () => {
  test('receives the result and a context with the idempotency key, the attempt and a signal', () => {
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, {
      ...options,
      onPaymentResult: async (result: PaymentResult, context: PaymentResultContext) => {
        expect(result.status).type.toBe<'init' | 'SUCCESS' | 'FAIL'>()
        expect(context.idempotencyKey).type.toBe<string>()
        expect(context.attempt).type.toBe<number>()
        expect(context.signal).type.toBe<AbortSignal>()
      },
    })
  })

  test('may be synchronous; a non-function or a handler wanting a third argument does not compile', () => {
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, { ...options, onPaymentResult: () => {} })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, onPaymentResult: 'handler' })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, {
      ...options,
      onPaymentResult: (_result: PaymentResult, _context: PaymentResultContext, _extra: string) => {},
    })
    expect<PaymentResultHandler>().type.toBeAssignableFrom(async (result: PaymentResult) => {
      void result.orderNo
    })
  })

  test('every delivery option, under p-retry\'s names', () => {
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, {
      ...options,
      onPaymentResult: async () => {},
      delivery: {
        timeoutMs: 30_000,
        minTimeoutMs: 1_000,
        maxTimeoutMs: 300_000,
        factor: 2,
        randomize: true,
        retries: Number.POSITIVE_INFINITY,
        maxRetryTimeMs: Number.POSITIVE_INFINITY,
        concurrency: 8,
        leaseMs: 30_000,
        sweepIntervalMs: 10_000,
        batchSize: 100,
        maxClockSkewMs: 5_000,
        alertAfterAttempts: 3,
      },
    })
    expect(DEFAULTS.delivery).type.toBeAssignableTo<DeliveryOptions>()
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, delivery: { timeout: 1 } })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, delivery: { retries: '3' } })
  })

  test('the decorators and the delivery state on the order record', () => {
    expect(app.alipayplus.sweepDeliveries()).type.toBe<Promise<number>>()
    expect(app.alipayplus.deliveryStats()).type.toBe<DeliveryStats | null>()
    expect(app.alipayplus.store.findUndelivered({ limit: 10 })).type.toBe<Promise<PaymentOrderRecord[]>>()
    expect(app.alipayplus.store.findUndelivered({ state: 'gave_up' })).type.toBe<Promise<PaymentOrderRecord[]>>()
    expect(app.alipayplus.store).type.not.toHaveProperty('claimDelivery')
    expect<PaymentOrderRecord['deliveredAt']>().type.toBe<Date | null>()
    expect<PaymentOrderRecord['deliveryAttempts']>().type.toBe<number>()
    expect<PaymentOrderRecord['deliveryError']>().type.toBe<string | null>()
  })
})
