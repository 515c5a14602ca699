// The operations surface as an application sees it: the openTelemetry and health options (an
// SDK's providers fit them), health()'s report, and the diagnostics channels' message types.
import { generateKeyPairSync } from 'node:crypto'
import { metrics, trace } from '@opentelemetry/api'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base'
import Fastify from 'fastify'
import { describe, expect, test } from 'tstyche'
import fastifyAlipayPlus, {
  type AlipayPlusOptions,
  type HealthReport,
  type InquiryMessage,
  type PaymentPrismaClient,
  type TransitionMessage,
} from '../../src/index.js'

declare const prisma: PaymentPrismaClient
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const options = { prisma, clientId: 'CLIENT', privateKey, alipayPublicKey: publicKey, gatewayUrl: 'https://open-sea-global.alipayplus.com' }
const app = Fastify()

describe('options', () => {
  test('openTelemetry: the SDK providers or the global ones, or off', () => {
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, {
      ...options,
      openTelemetry: { meterProvider: new MeterProvider(), tracerProvider: new BasicTracerProvider() },
    })
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, {
      ...options,
      openTelemetry: { meterProvider: metrics.getMeterProvider(), tracerProvider: trace.getTracerProvider() },
    })
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, { ...options, openTelemetry: { enabled: false } })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, openTelemetry: { enabled: 'no' } })
    expect(app.register).type.not.toBeCallableWith(fastifyAlipayPlus, { ...options, openTelemetry: { meterProvider: {} } })
  })

  test('health thresholds', () => {
    expect(app.register).type.toBeCallableWith(fastifyAlipayPlus, { ...options, health: { databaseTimeoutMs: 1000, deliveryBacklogMs: 60_000 } })
    expect<AlipayPlusOptions>().type.not.toBeAssignableFrom({ ...options, health: { timeoutMs: 1000 } })
  })
})

describe('health()', () => {
  test('its report', () => {
    expect(app.alipayplus.health()).type.toBe<Promise<HealthReport>>()
    expect<HealthReport['status']>().type.toBe<'ok' | 'degraded' | 'down'>()
    expect<keyof HealthReport['checks']>().type.toBe<'database' | 'wakeup' | 'inquiries' | 'delivery' | 'reconciler'>()
  })
})

describe('channel messages', () => {
  test('their fields', () => {
    expect<InquiryMessage['operation']>().type.toBe<'inquiryPayment' | 'cancelPayment'>()
    expect<Pick<TransitionMessage, 'orderNo' | 'status' | 'source'>>().type.toBe<{
      orderNo: string
      status: 'SUCCESS' | 'FAIL'
      source: 'notify' | 'inquiry' | 'cancel' | 'manual'
    }>()
  })
})
