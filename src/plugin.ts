// fastify-alipayplus: registers the signed notifyPayment route and decorates the instance with
// awaitPaymentResult(orderNo) and `alipayplus` (the order store and counters).
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { DeliveryClaims } from './delivery/delivery-claims.js'
import { type DeliveryStats, ResultDelivery } from './delivery/result-delivery.js'
import { AdminApi } from './admin/admin-api.js'
import type { AdminOrderDelegate } from './admin/admin-models.js'
import { AttentionAlerts } from './attention/attention-alerts.js'
import { SuccessAfterCancel } from './attention/success-after-cancel.js'
import { notifyRoute } from './notify/notify-route.js'
import { type AlipayPlusOptions, resolveOptions } from './options.js'
import { InquiryLimiter } from './polling/inquiry-limiter.js'
import { OrderLease } from './polling/order-lease.js'
import { type AwaitOptions, PaymentPoller, type PollerStats } from './polling/payment-poller.js'
import { PollingRows } from './polling/polling-rows.js'
import type { PaymentResult } from './polling/payment-result.js'
import { Reconciler } from './polling/reconciler.js'
import { ResultHub } from './polling/result-hub.js'
import { InquiryClient } from './protocol/inquiry-client.js'
import { CancelStateStore } from './store/cancel-state.js'
import { OrderStore } from './store/order-store.js'
import { createWakeChannel } from './wakeup/create-channel.js'
import { WaiterWakeup, type WakeupStats } from './wakeup/waiter-wakeup.js'
import { publishTransition } from './telemetry/channels.js'
import type { HealthReport } from './telemetry/health.js'
import { startTelemetry } from './telemetry/telemetry.js'

export interface AlipayPlusDecorator {
  /**
   * The only writer of PaymentOrder/PaymentEvent: createOrder, getOrder, listEvents, recordResult,
   * the orders left to a human: findOrdersNeedingAttention, setAttention, clearAttention, and
   * the results not delivered to onPaymentResult: findUndelivered, retryDelivery.
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
  /** What an operator needs: the order views, an order's audit, and the repairs (docs/admin.md). */
  admin: AdminApi
  /** The cross-instance wake-up: its channel's state (connected, heartbeat...) and counters; null with wakeup: false. */
  wakeupStats(): WakeupStats | null
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
     * or with status 'init' (final: false) when the caller's wait (timeoutMs) ends without one.
     * With cancelAfterWindow, a wait that ends once the order's own window is over (createdAt +
     * polling.maxRetryTimeMs; never a shorter timeoutMs) cancels the payment first: FAIL with
     * source 'cancel' once Alipay+ confirms, else init with the order's `attention`.
     */
    awaitPaymentResult(orderNo: string, options?: AwaitOptions): Promise<PaymentResult>
    alipayplus: AlipayPlusDecorator
  }
}

const plugin: FastifyPluginAsync<AlipayPlusOptions> = async (fastify: FastifyInstance, rawOptions) => {
  const options = resolveOptions(rawOptions)
  const log = fastify.log.child({ plugin: 'fastify-alipayplus' })
  const store = new OrderStore(options.models)
  const cancels = new CancelStateStore(options.models.orders)
  const hub = new ResultHub()
  // The polling layer's own columns (leases, reconcile turns): not on the application's store.
  const rows = new PollingRows(options.models)
  const alerts = new AttentionAlerts(options.onAttention, log)
  const successAfterCancel = new SuccessAfterCancel({ store, cancels, alerts, log })
  // Every SUCCESS this instance records (notification, inquiry, the application's own
  // recordResult) is checked for a cancel sent before it: Alipay+ may have refunded it. The
  // check reads the row after the transition, since a cancel may have been marked sent between
  // recordResult's read and its write; without cancelAfterWindow here only a cancel the record
  // already showed is looked for (set the option alike on every instance).
  store.onFinalized((order) => {
    if (order.status === 'SUCCESS' && (options.cancelAfterWindow || order.cancelState !== null)) void successAfterCancel.check(order.orderNo)
  })
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
    lease: new OrderLease(rows, options.leaseMarginMs, log),
    inquiry: inquiryClient,
    limiter,
    hub,
    polling: options.polling,
    log,
    alerts,
    cancels,
    successAfterCancel,
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
  const reconciler =
    options.reconcile === false
      ? null
      : new Reconciler({ options: options.reconcile, polling: options.polling, store, rows, poller, log, alerts, cancels })
  const delivery =
    options.onPaymentResult === undefined
      ? null
      : new ResultDelivery({
          // The claims are written by delivery only: on the order model, not on the public store.
          claims: new DeliveryClaims(options.models.orders),
          handler: options.onPaymentResult,
          options: options.delivery,
          log,
          alerts,
        })
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

  const admin = new AdminApi({
    // The same Prisma delegate the store uses, asked the operator's queries (admin-models.ts).
    orders: options.models.orders as unknown as AdminOrderDelegate,
    store,
    hub,
    poll: (orderNo, lane) => poller.awaitResult(orderNo, {}, lane),
    sweepDeliveries: delivery ? () => delivery.sweepNow() : null,
    log,
    stuckAfterMs: options.polling.maxRetryTimeMs,
  })

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
    admin,
    wakeupStats: () => wakeup?.stats() ?? null,
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
