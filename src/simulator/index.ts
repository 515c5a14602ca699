// fastify-alipayplus/simulator: a fake Alipay+ server for tests, demos and benchmarks. It
// answers inquiryPayment, delivers signed notifyPayment requests with redelivery, and can
// inject the faults a real integration meets. Not for production traffic.
import { AlipayPlusSimulator } from './simulator.js'
import type { SimulatorOptions } from './options.js'

export function createSimulator(options: SimulatorOptions): AlipayPlusSimulator {
  return new AlipayPlusSimulator(options)
}

export { AlipayPlusSimulator, type SimulatorStats } from './simulator.js'
export { DEFAULT_REDELIVERY_SCHEDULE_MS, type SimulatorOptions } from './options.js'
export { NO_FAULTS, type Faults } from './faults.js'
export type { SimPayment, SimPaymentStatus, CreatePaymentInput, CompletePaymentInput } from './payments.js'
export type { NotificationState, SettledNotificationState, NotificationStatsSnapshot } from './notifier.js'
export type { InquiryStatsSnapshot, InquiryAnswerKind, InquiryArrival } from './stats.js'
export {
  SimUnknownPaymentError,
  SimDuplicatePaymentError,
  SimPaymentFinalError,
  SimNoNotificationError,
  SimInvalidInputError,
} from './errors.js'
export { seededRandom } from './random.js'
