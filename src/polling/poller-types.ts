// The poller's public shapes and what its parts share: the dependencies it is built with, its
// stats, the options of one wait, and how a polling run ends.
import type { FastifyBaseLogger } from 'fastify'
import type { AttentionAlerts } from '../attention/attention-alerts.js'
import type { SuccessAfterCancel } from '../attention/success-after-cancel.js'
import type { PollingOptions } from '../options.js'
import type { InquiryClient } from '../protocol/inquiry-client.js'
import type { InquiryOutcome } from '../protocol/inquiry-outcome.js'
import type { CancelStateStore } from '../store/cancel-state.js'
import type { OrderStore } from '../store/order-store.js'
import type { PaymentOrderRecord } from '../store/prisma-types.js'
import type { InquiryLimiter } from './inquiry-limiter.js'
import type { OrderLease } from './order-lease.js'
import type { ResultHub } from './result-hub.js'
import type { CancelStats } from './payment-canceller.js'

export interface AwaitOptions {
  signal?: AbortSignal
  /**
   * This caller's wait. Default: polling.maxRetryTimeMs. It never decides a cancel: with
   * cancelAfterWindow the payment is cancelled only once the order's own window (its createdAt
   * plus polling.maxRetryTimeMs) has passed.
   */
  timeoutMs?: number
}

/**
 * Who waits: the application (awaitPaymentResult), or only the reconciler. Internal: the
 * reconciler's loops yield to the application's in the limiter's queues, where a caller's lane is
 * read at each turn (CurrentLane, wait-queue.ts).
 */
export type Lane = 'foreground' | 'background'

export interface PollerStats {
  /** inquiryPayment calls made, and how each was classified. */
  inquiries: number
  outcomes: Record<InquiryOutcome['kind'], number>
  loopsStarted: number
  activeLoops: number
  /**
   * Lease claims this instance's loops and cancels sent (each an UPDATE), those another
   * instance's live lease refused, and the waits for such a lease to lapse that followed.
   */
  leaseClaims: number
  leaseRefused: number
  leaseWaits: number
  /** Most inquiries ever in flight at once (never above maxConcurrentInquiries). */
  peakInFlight: number
  /** cancelPayment calls made (cancelAfterWindow), and how each was classified. */
  cancels: CancelStats
}

/** The counters the poller's parts keep themselves (the others are read from the lease, limiter, canceller). */
export type PollerCounters = Pick<PollerStats, 'inquiries' | 'outcomes' | 'loopsStarted' | 'leaseWaits'>

export interface PollerDeps {
  store: OrderStore
  lease: OrderLease
  inquiry: InquiryClient
  limiter: InquiryLimiter
  hub: ResultHub
  polling: Required<PollingOptions>
  log: FastifyBaseLogger
  alerts: AttentionAlerts
  /** The order's cancel state (sent before the first cancel call, then its answer). */
  cancels: CancelStateStore
  /** Flags and alerts a SUCCESS recorded after a cancel was sent. */
  successAfterCancel: SuccessAfterCancel
  /** Cancel the payment when the order's window ends without a final result. */
  cancelAfterWindow: boolean
}

/** How an order's polling ended: the final order, null (window over, nobody waits), or its error. */
export type LoopOutcome = { order: PaymentOrderRecord | null } | { error: unknown }
