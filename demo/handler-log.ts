// The demo's onPaymentResult handlers, one per merchant instance, writing to one shared log so
// that the demo can count runs per order across instances. For the orders picked to fail, the
// first run throws: the plugin must retry (on either instance) until one run succeeds.
import type { PaymentResultHandler } from '../src/index.js'

export interface HandlerRun {
  instance: string
  orderNo: string
  attempt: number
  ok: boolean
  idempotencyKey: string
}

export class HandlerLog {
  readonly runs: HandlerRun[] = []
  /** Orders whose first run throws. */
  readonly failFirst = new Set<string>()
  /** Told of each run as it starts (the story narrates them). */
  readonly watchers = new Set<(run: HandlerRun) => void>()

  handler(instance: string): PaymentResultHandler {
    return async (result, { attempt, idempotencyKey }) => {
      // attempt is counted in the database: 1 on whichever instance runs first.
      const ok = !(attempt === 1 && this.failFirst.has(result.orderNo))
      const run = { instance, orderNo: result.orderNo, attempt, ok, idempotencyKey }
      this.runs.push(run)
      for (const watcher of this.watchers) watcher(run)
      if (!ok) throw new Error('demo: this order’s first handler run fails on purpose')
      // The application's own work would go here (ship the goods, send the receipt), keyed by
      // context.idempotencyKey.
    }
  }

  /** Successful runs per order. */
  successes(): Map<string, number> {
    const counts = new Map<string, number>()
    for (const run of this.runs) if (run.ok) counts.set(run.orderNo, (counts.get(run.orderNo) ?? 0) + 1)
    return counts
  }
}
