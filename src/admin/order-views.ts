// The admin API's views of the order table, each a where clause and a keyset order, so that a
// page of 50 costs one indexed query however many orders there are, and a cursor stays valid
// while rows are added.
import { AdminInputError } from '../errors.js'
import type { PaymentOrderRecord } from '../store/prisma-types.js'
import { FINAL } from './admin-models.js'

export const ORDER_VIEWS = ['attention', 'undelivered', 'delivery_exhausted', 'stuck', 'recent'] as const
export type OrderView = (typeof ORDER_VIEWS)[number]

/** The column a view is sorted by, then orderNo to break ties. */
type SortColumn = 'createdAt' | 'finalizedAt'

interface ViewDefinition {
  where(now: number, stuckAfterMs: number): Record<string, unknown>
  sort: SortColumn
  direction: 'asc' | 'desc'
}

const VIEWS: Record<OrderView, ViewDefinition> = {
  // Init orders left to a human: the oldest first.
  attention: { where: () => ({ status: 'init', attention: { not: null } }), sort: 'createdAt', direction: 'asc' },
  // Final results onPaymentResult has not handled yet and has not given up on.
  undelivered: { where: () => ({ status: FINAL, deliveredAt: null, deliveryGaveUpAt: null }), sort: 'finalizedAt', direction: 'asc' },
  // Dead letters: delivery gave up.
  delivery_exhausted: { where: () => ({ status: FINAL, deliveredAt: null, deliveryGaveUpAt: { not: null } }), sort: 'finalizedAt', direction: 'asc' },
  // Init orders older than their polling window (and not already left to a human).
  stuck: {
    where: (now, stuckAfterMs) => ({ status: 'init', attention: null, createdAt: { lt: new Date(now - stuckAfterMs) } }),
    sort: 'createdAt',
    direction: 'asc',
  },
  recent: { where: () => ({}), sort: 'createdAt', direction: 'desc' },
}

export function assertView(view: unknown): asserts view is OrderView {
  if (!(ORDER_VIEWS as readonly unknown[]).includes(view)) {
    throw new AdminInputError('view', `must be one of ${ORDER_VIEWS.join(', ')}, got ${JSON.stringify(view)}`)
  }
}

/** An opaque cursor: the last row's sort value and orderNo. */
export function cursorOf(view: OrderView, order: PaymentOrderRecord): string {
  const value = order[VIEWS[view].sort]
  return Buffer.from(JSON.stringify([value === null ? null : value.toISOString(), order.orderNo])).toString('base64url')
}

function parseCursor(after: string): [Date | null, string] {
  try {
    const [value, orderNo] = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as [unknown, unknown]
    if ((value === null || typeof value === 'string') && typeof orderNo === 'string') {
      return [value === null ? null : new Date(value), orderNo]
    }
  } catch {
    // reported below
  }
  throw new AdminInputError('after', 'is not a cursor this API returned')
}

export function viewQuery(view: OrderView, options: { after?: string | undefined; now: number; stuckAfterMs: number }) {
  const definition = VIEWS[view]
  const { sort, direction } = definition
  const base = definition.where(options.now, options.stuckAfterMs)
  const orderBy = [{ [sort]: direction }, { orderNo: direction }]
  if (options.after === undefined) return { where: base, orderBy }
  const [value, orderNo] = parseCursor(options.after)
  const beyond = direction === 'asc' ? 'gt' : 'lt'
  // Rows past the cursor: a later sort value, or the same one and a later orderNo. The views
  // sorted by finalizedAt hold final orders only, where it is never null.
  const after = { OR: [{ [sort]: { [beyond]: value } }, { [sort]: value, orderNo: { [beyond]: orderNo } }] }
  return { where: { AND: [base, after] }, orderBy }
}

export function countQuery(view: OrderView, now: number, stuckAfterMs: number) {
  return { where: VIEWS[view].where(now, stuckAfterMs) }
}
