// fastify-alipayplus: the Fastify plugin, its options, the types of its decorators and results,
// and every error it can throw. The building blocks live in subpath entries so that this one
// stays the plugin's public surface:
//   fastify-alipayplus/protocol   signing, keys, the inquiryPayment client, outcome classification
//   fastify-alipayplus/store      OrderStore and the record types behind fastify.alipayplus.store
//   fastify-alipayplus/migrate    applyMigrations, readMigrations, openDatabase, SQL sessions
//   fastify-alipayplus/simulator  a fake Alipay+ server for tests
export { fastifyAlipayPlus, fastifyAlipayPlus as default, type AlipayPlusDecorator } from './plugin.js'
// DEFAULTS is the options' documented defaults as a value, so that an application can derive
// its own settings from them (e.g. `{ ...DEFAULTS.polling, minTimeoutMs: 3000 }`).
export {
  DEFAULTS,
  type AlipayPlusOptions,
  type AlipayPlusCommonOptions,
  type PrismaOptions,
  type PollingOptions,
  type ReconcileOptions,
} from './options.js'
// The types of the `prisma` and `models` options: any generated PrismaClient with the two models fits.
export type { PaymentPrismaClient } from './store/prisma-types.js'
export type { ModelNames } from './store/payment-models.js'
export type { AwaitOptions, PollerStats } from './polling/payment-poller.js'
export type { PaymentResult } from './polling/payment-result.js'
export type { DeliveryOptions, PaymentResultContext, PaymentResultHandler } from './delivery/delivery-options.js'
export type { DeliveryStats } from './delivery/result-delivery.js'
export type { ActionOutcome, AdminApi, ListOrdersOptions, OrderDetail, OrderPage, OrderView } from './admin/admin-api.js'
export type { ChannelLivenessOptions, PostgresConnection, RedisConnection, WakeupOptions } from './wakeup/wakeup-options.js'
export type { WakeupStats } from './wakeup/waiter-wakeup.js'
export type { WakeChannelState, WakeChannelStats } from './wakeup/wake-channel.js'
export type { PaymentStatus, FinalStatus, ResultSource } from './store/prisma-types.js'
// The onAttention hook's argument: what needs a human, as a union discriminated by `kind`.
export type {
  AttentionHook,
  AttentionAlert,
  AttentionKind,
  AttentionReason,
  ConflictingResultAlert,
  AmountMismatchAlert,
  SetupErrorAlert,
  InvalidAnswerAlert,
  CancelRefusedAlert,
  CancelUnconfirmedAlert,
  CancelDeadlinePassedAlert,
  GaveUpAlert,
  SuccessAfterCancelAlert,
  NotFoundAlert,
  DeliveryFailingAlert,
  DeliveryExhaustedAlert,
} from './attention/attention-alert.js'

export * from './errors.js'
export { AlipayPlusSetupError, InquiryClientClosedError } from './protocol/errors.js'
// Operations: health() and the OpenTelemetry and health options, and the messages of the
// diagnostics channels (alipayplus:notify, :inquiry, :deliver, :reconcile, :transition, :wakeup).
export type { HealthOptions, OpenTelemetryOptions, MeterProviderLike, TracerProviderLike } from './telemetry/telemetry-options.js'
export type { HealthReport, HealthStatus, DatabaseCheck, WakeupCheck, InquiriesCheck, DeliveryCheck, ReconcilerCheck } from './telemetry/health.js'
export type { NotifyMessage, InquiryMessage, DeliverMessage, ReconcileMessage, TransitionMessage, WakeupMessage } from './telemetry/channels.js'
