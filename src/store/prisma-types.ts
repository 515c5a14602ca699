// The slice of a Prisma 7 client that the plugin uses, typed structurally: any PrismaClient
// generated from a schema that contains the PaymentOrder and PaymentEvent models fits,
// whatever else the application's schema holds and wherever its client is generated.

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
  createdAt: Date
  updatedAt: Date
}

export interface PaymentEventRecord {
  id: string
  orderNo: string
  source: ResultSource
  resultStatus: string
  resultCode: string | null
  applied: boolean
  reason: string | null
  payload: unknown
  createdAt: Date
}

// Prisma delegates return PrismaPromise, a PromiseLike. The init -> final transition itself
// is one raw statement (see order-store.ts), which is why table and column names matter:
// keep the models unmapped (no @@map / @map).
export interface PaymentPrismaClient {
  paymentOrder: {
    // findFirst, not findUnique: Prisma batches same-tick findUnique calls and matches the rows
    // back to callers with a linear search each, which stalls the event loop for seconds with
    // 10,000 concurrent awaitPaymentResult calls (measured in bench/awaiters.ts).
    findFirst(args: { where: { orderNo: string } }): PromiseLike<PaymentOrderRecord | null>
    findFirstOrThrow(args: { where: { orderNo: string } }): PromiseLike<PaymentOrderRecord>
    create(args: { data: { orderNo: string; amount: string; currency: string } }): PromiseLike<PaymentOrderRecord>
    findMany(args: {
      where: {
        status: 'init'
        createdAt: { lte: Date }
        OR: Array<{ leaseUntil: null } | { leaseUntil: { lt: Date } }>
      }
      orderBy: Array<{ leaseUntil: { sort: 'asc'; nulls: 'first' } } | { createdAt: 'asc' }>
      take: number
      select: { orderNo: true }
    }): PromiseLike<Array<{ orderNo: string }>>
    /** The lease claim (polling/order-lease.ts). */
    updateMany(args: {
      where: { orderNo: string; status: 'init'; OR: Array<{ leaseUntil: null } | { leaseUntil: { lt: Date } } | { leaseOwner: string }> }
      data: { leaseOwner: string; leaseUntil: Date }
    }): PromiseLike<{ count: number }>
  }
  paymentEvent: {
    findMany(args: { where: { orderNo: string }; orderBy: { createdAt: 'asc' } }): PromiseLike<PaymentEventRecord[]>
  }
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>
}
