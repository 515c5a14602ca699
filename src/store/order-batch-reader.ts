// Order reads coalesced into batches: the getOrder calls made in one synchronous run (a loop
// that starts 10,000 awaits, say) become one findMany per ORDER_NOS_PER_QUERY orderNos.
// 10,000 awaitPaymentResult calls started at once otherwise make 10,000 Prisma queries at once,
// nearly all of them queued for one of the pool's connections, each holding its query state
// meanwhile: in bench/awaiters.ts that burst was most of the merchant's peak memory. Same answers as OrderStore.getOrder, per orderNo.
import { ORDER_NOS_PER_QUERY, type OrderStore } from './order-store.js'
import type { PaymentOrderRecord } from './prisma-types.js'

interface Pending {
  resolve: (order: PaymentOrderRecord | null) => void
  reject: (error: unknown) => void
}

export class OrderBatchReader {
  readonly #store: OrderStore
  /** Callers waiting for the next batch, by orderNo (the same orderNo twice shares one row). */
  #pending = new Map<string, Pending[]>()
  #scheduled = false

  constructor(store: OrderStore) {
    this.#store = store
  }

  /** OrderStore.getOrder, read together with the other calls of this synchronous run. */
  getOrder(orderNo: string): Promise<PaymentOrderRecord | null> {
    return new Promise((resolve, reject) => {
      const waiting = this.#pending.get(orderNo)
      if (waiting) waiting.push({ resolve, reject })
      else this.#pending.set(orderNo, [{ resolve, reject }])
      if (this.#scheduled) return
      this.#scheduled = true
      // A microtask, not setImmediate: the query goes out before anything else can run (a
      // close() that disconnects the client, say: a query after it would reconnect Prisma).
      queueMicrotask(() => this.#flush())
    })
  }

  #flush(): void {
    const pending = this.#pending
    this.#pending = new Map()
    this.#scheduled = false
    const orderNos = [...pending.keys()]
    for (let i = 0; i < orderNos.length; i += ORDER_NOS_PER_QUERY) {
      const batch = orderNos.slice(i, i + ORDER_NOS_PER_QUERY)
      this.#store.getOrders(batch).then(
        (orders) => {
          const byNo = new Map(orders.map((order) => [order.orderNo, order]))
          for (const orderNo of batch) for (const caller of pending.get(orderNo)!) caller.resolve(byNo.get(orderNo) ?? null)
        },
        (error: unknown) => {
          for (const orderNo of batch) for (const caller of pending.get(orderNo)!) caller.reject(error)
        },
      )
    }
  }
}
