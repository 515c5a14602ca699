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
  /** Every start and end of a handler run, in order: "<instance> start|end <orderNo> <attempt>". */
  readonly timeline: string[] = []
  /** Runs that started while another run of the same order had not ended. */
  readonly overlaps: Run[] = []
  readonly #running = new Map<string, number>()

  /** A handler for instance `instance` that records its run, then does `then` (default: nothing). */
  handler(
    instance: string,
    then?: (result: PaymentResult, context: PaymentResultContext) => Promise<void> | void,
  ): (result: PaymentResult, context: PaymentResultContext) => Promise<void> {
    return async (result, context) => {
      const run = {
        instance,
        orderNo: result.orderNo,
        status: result.status,
        idempotencyKey: context.idempotencyKey,
        attempt: context.attempt,
      }
      this.runs.push(run)
      const running = this.#running.get(run.orderNo) ?? 0
      if (running > 0) this.overlaps.push(run)
      this.#running.set(run.orderNo, running + 1)
      this.timeline.push(`${instance} start ${run.orderNo} ${run.attempt}`)
      try {
        await then?.(result, context)
      } finally {
        this.#running.set(run.orderNo, (this.#running.get(run.orderNo) ?? 1) - 1)
        this.timeline.push(`${instance} end ${run.orderNo} ${run.attempt}`)
      }
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
export const FAST_DELIVERY = { minTimeoutMs: 20, maxTimeoutMs: 100, randomize: false, sweepIntervalMs: 100, leaseMs: 2_000 }

/** A promise and the function that resolves it. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

/** What a well-behaved handler does while it waits: rejects with the signal's reason once it aborts, noting its code. */
export function untilAborted(signal: AbortSignal, codes?: string[]): Promise<never> {
  return new Promise<never>((_, reject) => {
    const stop = () => {
      codes?.push((signal.reason as { code?: string }).code ?? 'none')
      // eslint-disable-next-line prefer-promise-reject-errors -- the abort reason is the Error the run was aborted with
      reject(signal.reason as Error)
    }
    if (signal.aborted) stop()
    else signal.addEventListener('abort', stop, { once: true })
  })
}
