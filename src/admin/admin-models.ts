// The queries of the admin API, typed on their own: the store's delegate types list only the
// shapes the plugin's hot paths use, so that any generated client fits them; these are the
// operator's reads and repairs, run on the same Prisma delegates.
import type { FinalStatus, PaymentOrderRecord } from '../store/prisma-types.js'

type Where = Record<string, unknown>
type OrderBy = Array<Record<string, 'asc' | 'desc'>>

export interface AdminOrderDelegate {
  findMany(args: { where: Where; orderBy: OrderBy; take: number }): PromiseLike<PaymentOrderRecord[]>
  findFirst(args: { where: { orderNo: string } }): PromiseLike<PaymentOrderRecord | null>
  count(args: { where: Where }): PromiseLike<number>
  updateMany(args: { where: Where; data: Where }): PromiseLike<{ count: number }>
}

export const FINAL: { in: FinalStatus[] } = { in: ['SUCCESS', 'FAIL'] }
