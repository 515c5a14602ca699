// The order store's public methods (fastify.alipayplus.store, or fastify-alipayplus/store).
import { describe, expect, test } from 'tstyche'
import {
  OrderStore,
  type Amount,
  type AuditedEvent,
  type PaymentModels,
  type PaymentOrderRecord,
  type PaymentPrismaClient,
  type PaymentResultInput,
  type RecordOutcome,
  type UndeliveredState,
} from '../../src/store/index.js'

declare const prisma: PaymentPrismaClient
declare const models: PaymentModels
const store = OrderStore.fromClient(prisma)
const amount: Amount = { currency: 'USD', value: '1000' }

describe('OrderStore', () => {
  test('is built on the application PrismaClient, or on its two model delegates', () => {
    expect(OrderStore.fromClient(prisma)).type.toBe<OrderStore>()
    expect(OrderStore.fromClient(prisma, { order: 'alipayOrder', event: 'alipayEvent' })).type.toBe<OrderStore>()
    expect(OrderStore.fromClient).type.not.toBeCallableWith(prisma, { order: 1 })
    expect(OrderStore).type.toBeConstructableWith(models)
    expect(OrderStore).type.not.toBeConstructableWith({})
  })

  test('offers no polling internals: leases and reconcile turns live in src/polling/polling-rows.ts', () => {
    expect(store).type.not.toHaveProperty('claimLease')
    expect(store).type.not.toHaveProperty('releaseLease')
    expect(store).type.not.toHaveProperty('findPendingOrders')
  })

  test('createOrder', () => {
    expect(store.createOrder({ orderNo: 'order-1', amount })).type.toBe<Promise<PaymentOrderRecord>>()
    expect(store.createOrder).type.not.toBeCallableWith({ orderNo: 'order-1', amount: { currency: 'USD', value: 1000 } })
    expect(store.createOrder).type.not.toBeCallableWith({ orderNo: 'order-1' })
  })

  test('getOrder and listEvents', () => {
    expect(store.getOrder('order-1')).type.toBe<Promise<PaymentOrderRecord | null>>()
    expect(store.listEvents('order-1')).type.toBe<Promise<AuditedEvent[]>>()
    expect<AuditedEvent['applied']>().type.toBe<boolean>()
    expect<AuditedEvent['payload']>().type.toBe<string>()
  })

  test('recordResult', () => {
    const input: PaymentResultInput = {
      orderNo: 'order-1',
      source: 'notify',
      status: 'SUCCESS',
      paymentAmount: amount,
      payload: {},
    }
    expect(store.recordResult(input)).type.toBe<Promise<RecordOutcome>>()
    expect(store.recordResult).type.not.toBeCallableWith({ ...input, status: 'init' })
    expect(store.recordResult).type.not.toBeCallableWith({ ...input, source: 'webhook' })
    expect<RecordOutcome['reason']>().type.toBe<'already_final' | 'conflicting_result' | 'amount_mismatch' | null>()
  })

  test('orders left to a human', () => {
    expect(store.setAttention('order-1', 'amount_mismatch')).type.toBe<Promise<boolean>>()
    expect(store.clearAttention('order-1')).type.toBe<Promise<boolean>>()
    expect(store.findOrdersNeedingAttention()).type.toBe<Promise<PaymentOrderRecord[]>>()
    expect(store.findOrdersNeedingAttention).type.toBeCallableWith(50)
    expect<PaymentOrderRecord['attention']>().type.toBe<string | null>()
  })

  test('results not delivered to onPaymentResult: pending or given up, and a dead letter handed back', () => {
    expect(store.findUndelivered()).type.toBe<Promise<PaymentOrderRecord[]>>()
    expect(store.findUndelivered({ state: 'gave_up', limit: 10 })).type.toBe<Promise<PaymentOrderRecord[]>>()
    expect(store.findUndelivered).type.toBeCallableWith({ state: 'pending' })
    expect(store.findUndelivered).type.not.toBeCallableWith({ state: 'dead' })
    expect<UndeliveredState>().type.toBe<'pending' | 'gave_up' | 'all'>()
    expect(store.retryDelivery('order-1')).type.toBe<Promise<boolean>>()
    expect<PaymentOrderRecord['deliveryGaveUpAt']>().type.toBe<Date | null>()
  })

  test('delivery claims are internals, not on the public store', () => {
    expect(store).type.not.toHaveProperty('findDueDeliveries')
    expect(store).type.not.toHaveProperty('claimDelivery')
    expect(store).type.not.toHaveProperty('renewDelivery')
    expect(store).type.not.toHaveProperty('markDelivered')
    expect(store).type.not.toHaveProperty('releaseDelivery')
  })

  test('records', () => {
    expect<Amount>().type.toBe<{ currency: string; value: string }>()
    expect<PaymentOrderRecord['status']>().type.toBe<'init' | 'SUCCESS' | 'FAIL'>()
    expect<RecordOutcome['order']>().type.toBe<PaymentOrderRecord>()
  })
})
