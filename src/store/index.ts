// fastify-alipayplus/store: the order store (the only writer of PaymentOrder and PaymentEvent,
// the object behind fastify.alipayplus.store) and its record types, for applications that
// use the store without the plugin (scripts, workers) or type their own code against it.
export { OrderStore, type PaymentResultInput, type RecordOutcome, type NotAppliedReason } from './order-store.js'
export { type Amount, assertAmount } from './amount.js'
export type {
  PaymentPrismaClient,
  PaymentOrderRecord,
  PaymentEventRecord,
  PaymentStatus,
  FinalStatus,
  ResultSource,
} from './prisma-types.js'
