// Public API of fastify-alipayplus. The default export is the Fastify plugin.
export { fastifyAlipayPlus, fastifyAlipayPlus as default, type AlipayPlusDecorator } from './plugin.js'
export { DEFAULTS, type AlipayPlusOptions, type PollingOptions, type ReconcileOptions } from './options.js'
export * from './errors.js'
export { AlipayPlusSetupError, InquiryClientClosedError } from './protocol/errors.js'
export type { AwaitOptions, PollerStats } from './polling/payment-poller.js'
export type { PaymentResult } from './polling/payment-result.js'
export { ACKNOWLEDGED, type AlipayResult } from './notify/answers.js'
export { notifyBodySchema, notifyResult, type NotifyBody } from './notify/notify-body-schema.js'

export { type Amount, assertAmount } from './store/amount.js'
export { OrderStore, type PaymentResultInput, type RecordOutcome, type NotAppliedReason } from './store/order-store.js'
export type {
  PaymentPrismaClient,
  PaymentOrderRecord,
  PaymentEventRecord,
  PaymentStatus,
  FinalStatus,
  ResultSource,
} from './store/prisma-types.js'
export { applyMigrations, readMigrations, DEFAULT_MIGRATIONS_DIR, type ApplyMigrationsResult } from './database/apply-migrations.js'
export { openPgSession, pgliteSession, type SqlSession } from './database/sql-session.js'
export { openDatabase, DEFAULT_PGLITE_DIR, type OpenDatabaseOptions, type OpenedDatabase } from './database/open-database.js'

export { loadPrivateKey, loadPublicKeys } from './protocol/keys.js'
export {
  signMessage,
  verifyMessage,
  contentToSign,
  signContent,
  verifyContent,
  formatSignatureHeader,
  parseSignatureHeader,
  nowRequestTime,
  type SignMessageInput,
  type VerifyMessageInput,
  type VerifyMessageResult,
} from './protocol/signature.js'
export { InquiryClient, INQUIRY_PAYMENT_PATH, CANCEL_PAYMENT_PATH, type InquiryClientOptions } from './protocol/inquiry-client.js'
export { classifyInquiryResponse, type InquiryOutcome, type FinalOutcome } from './protocol/inquiry-outcome.js'
export { classifyCancelResponse, type CancelOutcome, type CancelledOutcome, type CancelRefusedOutcome } from './protocol/cancel-outcome.js'
