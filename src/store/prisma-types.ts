// The slice of a Prisma 7 client that the plugin uses, typed structurally: any PrismaClient
// generated from a schema that contains the two models fits, on any provider (PostgreSQL,
// MySQL/MariaDB, SQLite, PGlite), whatever else the schema holds, however the models and
// their fields are @@map/@map-ped, and whatever the models are called (see the `models`
// option). Only Prisma's model API is used: no raw SQL, no transactions.

export type PaymentStatus = 'init' | 'SUCCESS' | 'FAIL'
export type FinalStatus = Exclude<PaymentStatus, 'init'>
export type ResultSource = 'notify' | 'inquiry' | 'cancel' | 'manual'

export interface PaymentOrderRecord {
  orderNo: string
  status: PaymentStatus
  amount: string
  currency: string
  paymentId: string | null
  resultCode: string | null
  resultMessage: string | null
  resultSource: ResultSource | null
  paymentTime: Date | null
  finalizedAt: Date | null
  finalEventId: string | null
  leaseOwner: string | null
  leaseUntil: Date | null
  /** When onPaymentResult succeeded for this final result; null: not (yet) delivered. */
  deliveredAt: Date | null
  /** onPaymentResult runs started for this result (a run cut short by a crash counts too). */
  deliveryAttempts: number
  /** The last failed run's error message (truncated); null once delivered. */
  deliveryError: string | null
  /** Delivery claim: the plugin instance running onPaymentResult for this order until deliveryUntil. */
  deliveryOwner: string | null
  deliveryUntil: Date | null
  /** When the next run is due after a failure; null: at once. */
  deliveryDueAt: Date | null
  /** When delivery gave up (retries used up): a dead letter until an operator retries it. */
  deliveryGaveUpAt: Date | null
  /** Who asked for the pending run by hand (admin API); null for the plugin's own runs. */
  deliveryRequestedBy: string | null
  /**
   * cancelPayment: 'sent' from just before the first call until its outcome is known,
   * 'confirmed' (S) or 'refused' (F); null: never sent.
   */
  cancelState: string | null
  cancelSentAt: Date | null
  /** The reconciler's next check of this init order (null: at once). */
  nextCheckAt: Date | null
  /** Inquiries in a row that answered ORDER_NOT_EXIST. */
  notFoundCount: number
  /**
   * Why this init order needs a human (amount_mismatch, invalid_answer, cancel_refused, ...);
   * the reconciler leaves it alone. Null for every order the plugin can still drive.
   */
  attention: string | null
  createdAt: Date
  updatedAt: Date
}

export interface PaymentEventRecord {
  id: string
  orderNo: string
  source: ResultSource
  resultStatus: string
  resultCode: string | null
  /** Why this event did not decide its order; null while it was the transition's candidate. */
  reason: string | null
  /** The message exactly as received (JSON text). */
  payload: string
  /** sha256 (hex) of payload. */
  digest: string
  /** How many times this identical message was received. */
  deliveries: number
  createdAt: Date
}

/** Which order the transition may finalize: init, and for a SUCCESS, of the amount paid. */
export interface TransitionWhere {
  orderNo: string
  status: 'init'
  amount?: string
  currency?: string
}

/** The columns the winning transition writes. */
export interface FinalFields {
  status: FinalStatus
  paymentId: string | null
  resultCode: string | null
  resultMessage: string | null
  resultSource: ResultSource
  paymentTime: Date | null
  finalizedAt: Date
  finalEventId: string
  updatedAt: Date
}

type LeaseFree = Array<{ leaseUntil: null } | { leaseUntil: { lt: Date } } | { leaseOwner: string }>
/** The reconciler's turn has come: never checked, or its next check is due. */
type CheckDue = Array<{ nextCheckAt: null } | { nextCheckAt: { lte: Date } }>
/** No cancel sent and unanswered (`not` alone would also leave out the rows where it is null). */
type NoCancelPending = Array<{ cancelState: null } | { cancelState: { not: 'sent' } }>
/** An init order the reconciler may take: free of any live lease, and due. */
export interface ReconcilableWhere {
  status: 'init'
  attention: null
  AND: [{ OR: LeaseFree }, { OR: CheckDue }, { OR: NoCancelPending }]
}
/** What a lease holder's last answer says of notFoundCount: one more ORDER_NOT_EXIST, or another answer. */
export type NotFoundCountChange = { increment: number } | 0

type FinalStatuses = { in: FinalStatus[] }
/** A final result neither delivered nor given up, whose next run is due, claimed by nobody live. */
export interface DeliveryDueWhere {
  status: FinalStatuses
  deliveredAt: null
  deliveryGaveUpAt: null
  /** Claimed by nobody live, and due. */
  AND: Array<{
    OR: Array<{ deliveryUntil: null } | { deliveryUntil: { lt: Date } } | { deliveryDueAt: null } | { deliveryDueAt: { lte: Date } }>
  }>
}
/** That row as it was read (its run count), so that a claim or a give-up is a compare-and-set. */
type DeliveryDueRowWhere = DeliveryDueWhere & { orderNo: string; deliveryAttempts: number }
/** The delivery claim of run `deliveryAttempts`, held by `deliveryOwner`, on a result not delivered yet. */
interface DeliveryClaimWhere {
  orderNo: string
  deliveryOwner: string
  deliveryAttempts: number
  deliveredAt: null
}
/** Undelivered results: all of them, those still pending, or those given up. */
interface UndeliveredWhere {
  status: FinalStatuses
  deliveredAt: null
  deliveryGaveUpAt?: null | { not: null }
}

// Prisma delegates return PrismaPromise, a PromiseLike.
export interface PaymentOrderDelegate {
  // findFirst, not findUnique: Prisma batches same-tick findUnique calls and matches the rows
  // back to callers with a linear search each, which stalls the event loop for seconds with
  // 10,000 concurrent awaitPaymentResult calls (measured in bench/awaiters.ts).
  findFirst(args: { where: { orderNo: string } }): PromiseLike<PaymentOrderRecord | null>
  create(args: { data: { orderNo: string; amount: string; currency: string } }): PromiseLike<PaymentOrderRecord>
  /**
   * Init orders left to the reconciler, orders left to a human, results due for delivery (the
   * sweep), results not delivered yet, a batch of orders by orderNo, and which of a list of
   * orders are final (the wake-up). One signature with a union, not overloads: a
   * generated client's generic findMany is checked against each overload with its type
   * argument lost.
   */
  findMany(args: {
    where:
      | (ReconcilableWhere & { createdAt: { lte: Date } })
      | { status: 'init'; attention: { not: null } }
      | DeliveryDueWhere
      | UndeliveredWhere
      | { orderNo: { in: string[] }; status: FinalStatuses }
      | { orderNo: { in: string[] } }
      | { status: 'init'; cancelState: 'sent'; attention: null; OR: LeaseFree }
    orderBy: Array<
      | { nextCheckAt: { sort: 'asc'; nulls: 'first' } }
      | { deliveryDueAt: { sort: 'asc'; nulls: 'first' } }
      | { createdAt: 'asc' }
      | { finalizedAt: 'asc' }
      | { orderNo: 'asc' }
      | { cancelSentAt: 'asc' }
    >
    take: number
  }): PromiseLike<PaymentOrderRecord[]>
  /**
   * The init -> final transition (count 1: this call won), the polling lease claim and its release
   * (with the ORDER_NOT_EXIST count), the reconciler's turn and next check, the delivery claim (a
   * compare-and-set on the run count), its renewal, its release after a run that did not succeed,
   * the delivered mark, the dead letter and its retry; and the attention flag (set on an init
   * order without one, or cleared).
   */
  updateMany(
    args:
      | { where: TransitionWhere; data: FinalFields }
      | {
          where: { orderNo: string; status: 'init'; OR: LeaseFree }
          data: { leaseOwner: string; leaseUntil: Date; notFoundCount?: NotFoundCountChange }
        }
      | {
          where: { orderNo: string; leaseOwner: string; leaseUntil: Date }
          data: { leaseOwner: null; leaseUntil: null; notFoundCount?: NotFoundCountChange }
        }
      | { where: ReconcilableWhere & { orderNo: string }; data: { nextCheckAt: Date } }
      | { where: { orderNo: string; status: 'init' }; data: { nextCheckAt: Date } }
      | { where: DeliveryDueRowWhere; data: { deliveryOwner: string; deliveryUntil: Date; deliveryAttempts: number } }
      | { where: DeliveryDueRowWhere; data: { deliveryGaveUpAt: Date } }
      | { where: DeliveryClaimWhere; data: { deliveryUntil: Date } }
      | {
          where: DeliveryClaimWhere
          data: {
            deliveryOwner: null
            deliveryUntil: null
            deliveryDueAt: Date
            deliveryError?: string | null
            deliveryAttempts?: number
            deliveryGaveUpAt?: Date
          }
        }
      | {
          where: DeliveryClaimWhere
          data: { deliveredAt: Date; deliveryOwner: null; deliveryUntil: null; deliveryError: null; deliveryRequestedBy: null }
        }
      | {
          where: { orderNo: string; deliveredAt: null; deliveryGaveUpAt: { not: null } }
          data: { deliveryGaveUpAt: null; deliveryAttempts: 0; deliveryDueAt: null }
        }
      | { where: { orderNo: string; status: 'init'; attention: null }; data: { attention: string; updatedAt: Date } }
      | { where: { orderNo: string; status: 'init' }; data: { attention: null; updatedAt: Date } }
      // The cancel's state (store/cancel-state.ts): sent before the call, its answer, and the flag
      // of a SUCCESS that Alipay+ may have refunded.
      | { where: { orderNo: string; status: 'init' }; data: { cancelState: 'sent'; cancelSentAt: Date } }
      | { where: { orderNo: string; cancelState: 'sent' }; data: { cancelState: 'confirmed' | 'refused' } }
      | {
          where: { orderNo: string; status: 'SUCCESS'; cancelState: { in: Array<'sent' | 'confirmed' | 'refused'> }; attention: null }
          data: { attention: string }
        },
  ): PromiseLike<{ count: number }>
  /**
   * The transition returning the order it finalized: one round trip where the provider can
   * (PostgreSQL, SQLite). Optional: MySQL's client lacks it in its types (and fails at run time).
   */
  updateManyAndReturn?(args: { where: TransitionWhere; data: FinalFields }): PromiseLike<PaymentOrderRecord[]>
}

export interface PaymentEventDelegate {
  create(args: { data: Omit<PaymentEventRecord, 'deliveries' | 'createdAt'>; select: { id: true } }): PromiseLike<{ id: string }>
  findFirst(args: {
    where: { orderNo: string; digest: string }
    select: { id: true; reason: true }
  }): PromiseLike<{ id: string; reason: string | null } | null>
  findMany(args: {
    where: { orderNo: string }
    orderBy: Array<{ createdAt: 'asc' } | { id: 'asc' }>
  }): PromiseLike<PaymentEventRecord[]>
  updateMany(args: {
    where: { id: string; reason?: null }
    data: { reason?: string; deliveries?: { increment: number } }
  }): PromiseLike<{ count: number }>
}

/** A PrismaClient whose schema has the models under their default names. */
export interface PaymentPrismaClient {
  paymentOrder: PaymentOrderDelegate
  paymentEvent: PaymentEventDelegate
}

/** The two delegates the store works with, whatever the models are called. */
export interface PaymentModels {
  orders: PaymentOrderDelegate
  events: PaymentEventDelegate
}
