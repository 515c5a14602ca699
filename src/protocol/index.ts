// fastify-alipayplus/protocol: the Alipay+ protocol without Fastify or a database: message
// signing and verification, key loading, the inquiryPayment client, how an inquiry answer is
// read, cancelPayment, and the notifyPayment message shape. The plugin is built on these; an application
// may use them for calls the plugin does not make.
export { loadPrivateKey, loadPublicKeys } from './keys.js'
export {
  signMessage,
  verifyMessage,
  contentToSign,
  signContent,
  verifyContent,
  formatSignatureHeader,
  parseSignatureHeader,
  nowRequestTime,
  CONTENT_TYPE,
  type SignMessageInput,
  type VerifyMessageInput,
  type VerifyMessageResult,
  type VerifyFailure,
  type SignatureHeader,
  type HeaderSource,
  type TimeHeader,
} from './signature.js'
export { InquiryClient, INQUIRY_PAYMENT_PATH, CANCEL_PAYMENT_PATH, type InquiryClientOptions } from './inquiry-client.js'
export {
  classifyCancelResponse,
  type CancelOutcome,
  type CancelledOutcome,
  type CancelRefusedOutcome,
} from './cancel-outcome.js'
export {
  classifyInquiryResponse,
  type InquiryOutcome,
  type FinalOutcome,
  type InProcessOutcome,
  type RetryOutcome,
  type RetryReason,
  type OrderNotExistOutcome,
  type SetupErrorOutcome,
  type InvalidAnswerOutcome,
} from './inquiry-outcome.js'
export { AlipayPlusSetupError, InquiryClientClosedError } from './errors.js'
export { notifyBodySchema, notifyResult, type NotifyBody } from '../notify/notify-body-schema.js'
export { ACKNOWLEDGED, type AlipayResult } from '../notify/answers.js'
