// Reads the audit trail the way an operator would: which event decided each order, and
// whether anything is left half-done. Works on any provider's generated client.
export interface AuditClient {
  paymentOrder: { findMany(args: { where: { orderNo: { in: string[] } } }): PromiseLike<AuditOrder[]> }
  paymentEvent: { findMany(args: { where: { orderNo: { in: string[] } } }): PromiseLike<AuditEvent[]> }
}
interface AuditOrder {
  orderNo: string
  status: string
  resultSource: string | null
  finalEventId: string | null
}
interface AuditEvent {
  id: string
  orderNo: string
  source: string
  resultStatus: string
  reason: string | null
  payload: string
  deliveries: number
}

export interface AuditSummary {
  orders: AuditOrder[]
  events: AuditEvent[]
  leftInit: number
  /** Final orders whose finalEventId does not name an event of theirs with their result, source and no reason. */
  badFinalEvents: string[]
  /** Events neither deciding their order nor saying why not: a writer stopped half-way. */
  unexplained: number
  /** Messages received, identical redeliveries included. */
  deliveries: number
}

export async function audit(prisma: AuditClient, orderNos: string[]): Promise<AuditSummary> {
  const [orders, events] = await Promise.all([
    prisma.paymentOrder.findMany({ where: { orderNo: { in: orderNos } } }),
    prisma.paymentEvent.findMany({ where: { orderNo: { in: orderNos } } }),
  ])
  const byId = new Map(events.map((event) => [event.id, event]))
  const finalIds = new Set(orders.map((order) => order.finalEventId))
  const badFinalEvents = orders
    .filter((order) => order.status !== 'init')
    .filter((order) => {
      const event = order.finalEventId === null ? undefined : byId.get(order.finalEventId)
      return !(
        event &&
        event.orderNo === order.orderNo &&
        event.reason === null &&
        event.source === order.resultSource &&
        event.resultStatus === (order.status === 'SUCCESS' ? 'S' : 'F') &&
        event.payload.length > 0
      )
    })
    .map((order) => order.orderNo)
  return {
    orders,
    events,
    leftInit: orders.filter((order) => order.status === 'init').length,
    badFinalEvents,
    unexplained: events.filter((event) => event.reason === null && !finalIds.has(event.id)).length,
    deliveries: events.reduce((sum, event) => sum + event.deliveries, 0),
  }
}

/**
 * The audit once the writers still in flight are done: an inquiry or notification that was
 * already running when its order became final (its waiter resolved) writes its event, then
 * says why it lost, a moment later. Waits up to `ms` for no event to be left without a reason;
 * an event that stays so fails the check that reads `unexplained`.
 */
export async function settledAudit(prisma: AuditClient, orderNos: string[], ms = 30_000): Promise<AuditSummary> {
  const end = Date.now() + ms
  for (;;) {
    const summary = await audit(prisma, orderNos)
    if (summary.unexplained === 0 || Date.now() > end) return summary
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
