// fastify-alipayplus/store: the order store (the only writer of the order and event models,
// the object behind fastify.alipayplus.store) and its record types, for applications that
// use the store without the plugin (scripts, workers) or type their own code against it.
export {
  OrderStore,
  type PaymentResultInput,
  type RecordOutcome,
  type NotAppliedReason,
  type AuditedEvent,
  type UndeliveredState,
} from './order-store.js'
export { resolvePaymentModels, DEFAULT_MODEL_NAMES, type ModelNames } from './payment-models.js'
export { type Amount, assertAmount } from './amount.js'
export type {
  PaymentPrismaClient,
  PaymentModels,
  PaymentOrderDelegate,
  PaymentEventDelegate,
  PaymentOrderRecord,
  PaymentEventRecord,
  PaymentStatus,
  FinalStatus,
  ResultSource,
} from './prisma-types.js'
