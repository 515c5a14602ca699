// fastify-alipayplus: registers the signed notifyPayment route and decorates the instance with
// awaitPaymentResult(orderNo) and `alipayplus` (the order store and counters).
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { type DeliveryStats, ResultDelivery } from './delivery/result-delivery.js'
import { AlertHook } from './attention/alert-hook.js'
import { notifyRoute } from './notify/notify-route.js'
import { type AlipayPlusOptions, resolveOptions } from './options.js'
import { InquiryLimiter } from './polling/inquiry-limiter.js'
import { OrderLease } from './polling/order-lease.js'
import { type AwaitOptions, PaymentPoller, type PollerStats } from './polling/payment-poller.js'
import type { PaymentResult } from './polling/payment-result.js'
import { Reconciler } from './polling/reconciler.js'
import { ResultHub } from './polling/result-hub.js'
import { InquiryClient } from './protocol/inquiry-client.js'
import { OrderStore } from './store/order-store.js'
import { createWakeChannel } from './wakeup/create-channel.js'
import { WaiterWakeup } from './wakeup/waiter-wakeup.js'
import { publishTransition } from './telemetry/channels.js'
import type { HealthReport } from './telemetry/health.js'
import { startTelemetry } from './telemetry/telemetry.js'

export interface AlipayPlusDecorator {
  /**
   * The only writer of PaymentOrder/PaymentEvent: createOrder, getOrder, listEvents, recordResult,
   * and the orders left to a human: findOrdersNeedingAttention, setAttention, clearAttention.
   */
  store: OrderStore
  /** The inquiryPayment client the plugin polls with. */
  inquiryClient: InquiryClient
  /** Runs one reconcile pass now (resolves with the number of orders it started polling). */
  reconcileNow(): Promise<number>
  stats(): PollerStats
  /**
   * Runs one onPaymentResult sweep now: queues the undelivered, due results nobody is
   * delivering (resolves with how many). 0 without onPaymentResult.
   */
  sweepDeliveries(): Promise<number>
  /** This instance's onPaymentResult runs; null without onPaymentResult. */
  deliveryStats(): DeliveryStats | null
  /**
   * ok, degraded (wake-up channel lost, undelivered backlog, failed reconcile pass: polling
   * goes on) or down (the database cannot be read), with each check's figures.
   */
  health(): Promise<HealthReport>
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Resolves with the order's final result once known, from notifyPayment or inquiryPayment,
     * or with status 'init' (final: false) when the polling window ends without one. With
     * cancelAfterWindow, the window's end cancels the payment first: FAIL with source 'cancel'
     * once Alipay+ confirms, else init with the order's `attention`.
     */
    awaitPaymentResult(orderNo: string, options?: AwaitOptions): Promise<PaymentResult>
    alipayplus: AlipayPlusDecorator
  }
}

const plugin: FastifyPluginAsync<AlipayPlusOptions> = async (fastify: FastifyInstance, rawOptions) => {
  const options = resolveOptions(rawOptions)
  const log = fastify.log.child({ plugin: 'fastify-alipayplus' })
  const store = new OrderStore(options.models)
  const hub = new ResultHub()
  const alerts = new AlertHook(options.onAttention, log)
  const inquiryClient = new InquiryClient({
    gatewayUrl: options.gatewayUrl,
    clientId: options.clientId,
    privateKey: options.privateKey,
    alipayPublicKeys: options.alipayPublicKeys,
    keyVersion: options.keyVersion,
    requestTimeoutMs: options.requestTimeoutMs,
    acceptUnsignedInquiryResponses: options.acceptUnsignedInquiryResponses,
  })
  if (options.acceptUnsignedInquiryResponses) {
    log.warn('acceptUnsignedInquiryResponses is on: inquiryPayment answers without a signature are trusted (tests only)')
  }
  const limiter = new InquiryLimiter({ maxConcurrent: options.maxConcurrentInquiries, maxPerSecond: options.maxInquiriesPerSecond })
  const poller = new PaymentPoller({
    store,
    lease: new OrderLease(store, options.leaseMs, log),
    inquiry: inquiryClient,
    limiter,
    hub,
    polling: options.polling,
    log,
    alerts,
    cancelAfterWindow: options.cancelAfterWindow,
  })
  const channel = createWakeChannel(options.wakeup, log)
  const wakeup =
    options.wakeup.kind === 'off'
      ? null
      : new WaiterWakeup({
          store,
          hub,
          awaitedOrders: () => poller.pollingOrders(),
          isAwaited: (orderNo) => poller.isPolling(orderNo),
          channel,
          pollMs: options.wakeup.kind === 'poll' ? options.wakeup.pollMs : undefined,
          log,
        })
  const reconciler = options.reconcile === false ? null : new Reconciler(options.reconcile, store, poller, log, alerts)
  const delivery =
    options.onPaymentResult === undefined
      ? null
      : new ResultDelivery({ store, handler: options.onPaymentResult, options: options.delivery, log })
  // Every transition this instance wins (notification, inquiry, or the application's own
  // store.recordResult), once committed; the sweep covers every other instance's and restarts.
  if (delivery) store.onFinalized((order) => delivery.finalized(order))
  store.onFinalized((order) => publishTransition(store, order))
  const telemetry = await startTelemetry({
    store,
    openTelemetry: options.openTelemetry,
    health: options.health,
    log,
    wakeup: { kind: options.wakeup.kind, channel },
    poller,
    limiter,
    delivery,
    reconciler,
    inquiryClient,
  })

  await fastify.register(notifyRoute, { options, store, hub, alerts })

  fastify.decorate('awaitPaymentResult', (orderNo: string, awaitOptions?: AwaitOptions) =>
    poller.awaitResult(orderNo, awaitOptions),
  )
  fastify.decorate('alipayplus', {
    store,
    inquiryClient,
    reconcileNow: () => reconciler?.runOnce() ?? Promise.resolve(0),
    stats: () => poller.stats(),
    sweepDeliveries: () => delivery?.sweepNow() ?? Promise.resolve(0),
    deliveryStats: () => delivery?.stats() ?? null,
    health: () => telemetry.health(),
  })

  // Before the reconciler, whose first pass starts polling loops the channel should cover.
  if (wakeup) fastify.addHook('onReady', async () => wakeup.start())
  if (reconciler) fastify.addHook('onReady', async () => reconciler.start())
  if (delivery) fastify.addHook('onReady', async () => delivery.start())
  // Release what the plugin started; the PrismaClient is the application's and stays connected.
  fastify.addHook('onClose', async () => {
    await reconciler?.stop()
    await wakeup?.close()
    await poller.close()
    // After the poller: its last transitions are queued before the delivery stops.
    await delivery?.close()
    inquiryClient.close()
    telemetry.close()
  })
}

export const fastifyAlipayPlus = fp(plugin, { fastify: '5.x', name: 'fastify-alipayplus' })
export default fastifyAlipayPlus
