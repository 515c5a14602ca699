// onPaymentResult handlers that record every run, shared by several app instances, so that a
// test can count runs per order across instances.
import type { PaymentResult, PaymentResultContext } from '../../src/index.js'

export interface Run {
  instance: string
  orderNo: string
  status: string
  idempotencyKey: string
  attempt: number
}

export class RunLog {
  readonly runs: Run[] = []

  /** A handler for instance `instance` that records its run, then does `then` (default: nothing). */
  handler(
    instance: string,
    then?: (result: PaymentResult, context: PaymentResultContext) => Promise<void> | void,
  ): (result: PaymentResult, context: PaymentResultContext) => Promise<void> {
    return async (result, context) => {
      this.runs.push({
        instance,
        orderNo: result.orderNo,
        status: result.status,
        idempotencyKey: context.idempotencyKey,
        attempt: context.attempt,
      })
      await then?.(result, context)
    }
  }

  of(orderNo: string): Run[] {
    return this.runs.filter((run) => run.orderNo === orderNo)
  }

  /** Orders run other than exactly once. */
  notExactlyOnce(orderNos: string[]): string[] {
    const counts = new Map<string, number>()
    for (const run of this.runs) counts.set(run.orderNo, (counts.get(run.orderNo) ?? 0) + 1)
    return orderNos.filter((orderNo) => counts.get(orderNo) !== 1)
  }
}

/** Fast retries and sweeps, so that tests finish in seconds; the shape is the production one. */
export const FAST_DELIVERY = { minTimeout: 20, maxTimeout: 100, randomize: false, sweepIntervalMs: 100, leaseMs: 2_000 }

/** A promise and the function that resolves it. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}
