// The slice of a Prisma 7 client that the plugin uses, typed structurally: any PrismaClient
// generated from a schema that contains the two models fits, on any provider (PostgreSQL,
// MySQL/MariaDB, SQLite, PGlite), whatever else the schema holds, however the models and
// their fields are @@map/@map-ped, and whatever the models are called (see the `models`
// option). Only Prisma's model API is used: no raw SQL, no transactions.

export type PaymentStatus = 'init' | 'SUCCESS' | 'FAIL'
export type FinalStatus = Exclude<PaymentStatus, 'init'>
export type ResultSource = 'notify' | 'inquiry' | 'cancel'

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

// Prisma delegates return PrismaPromise, a PromiseLike.
export interface PaymentOrderDelegate {
  // findFirst, not findUnique: Prisma batches same-tick findUnique calls and matches the rows
  // back to callers with a linear search each, which stalls the event loop for seconds with
  // 10,000 concurrent awaitPaymentResult calls (measured in bench/awaiters.ts).
  findFirst(args: { where: { orderNo: string } }): PromiseLike<PaymentOrderRecord | null>
  create(args: { data: { orderNo: string; amount: string; currency: string } }): PromiseLike<PaymentOrderRecord>
  /** The reconciler's query (orders it may drive), and the orders left to a human. */
  findMany(args: {
    where:
      | { status: 'init'; attention: null; createdAt: { lte: Date }; OR: LeaseFree }
      | { status: 'init'; attention: { not: null } }
    orderBy: Array<{ leaseUntil: { sort: 'asc'; nulls: 'first' } } | { createdAt: 'asc' } | { orderNo: 'asc' }>
    take: number
  }): PromiseLike<PaymentOrderRecord[]>
  /**
   * The init -> final transition (count 1: this call won), the polling lease claim, and the
   * attention flag (set on an init order without one, or cleared).
   */
  updateMany(
    args:
      | { where: { orderNo: string; status: 'init' }; data: FinalFields }
      | { where: { orderNo: string; status: 'init'; OR: LeaseFree }; data: { leaseOwner: string; leaseUntil: Date } }
      | { where: { orderNo: string; status: 'init'; attention: null }; data: { attention: string; updatedAt: Date } }
      | { where: { orderNo: string; status: 'init' }; data: { attention: null; updatedAt: Date } },
  ): PromiseLike<{ count: number }>
}

export interface PaymentEventDelegate {
  create(args: {
    data: {
      id: string
      orderNo: string
      source: ResultSource
      resultStatus: string
      resultCode: string | null
      reason: string | null
      payload: string
      digest: string
    }
  }): PromiseLike<PaymentEventRecord>
  findFirst(args: { where: { orderNo: string; digest: string } }): PromiseLike<PaymentEventRecord | null>
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
