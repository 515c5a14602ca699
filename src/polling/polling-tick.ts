// One tick of an order's polling, which p-retry runs as one attempt: its inquiry, then what the
// answer means (InquiryAnswers). When the lease is not ours (another instance polls the order),
// the stored order says whether it is final meanwhile; if not, the tick sleeps until that lease
// could lapse (or the result is published) instead of claiming and reading every tick for the
// whole window. A tick that would queue behind orders parked before it parks its order instead.
import { setTimeout as sleep } from 'node:timers/promises'
import { AbortError } from 'p-retry'
import { UnknownOrderError } from '../errors.js'
import type { InquiryOutcome } from '../protocol/inquiry-outcome.js'
import type { PaymentOrderRecord } from '../store/prisma-types.js'
import type { InquiryAnswers } from './inquiry-answers.js'
import { inquireInTurn, type Turn } from './inquiry-turn.js'
import { NotFinalYet, Parked } from './loop-stops.js'
import type { LeaseHold } from './order-lease.js'
import type { PolledOrder } from './polled-order.js'
import type { PollerCounters, PollerDeps } from './poller-types.js'
import { maxDelayAfter } from '../retry-delay.js'
import type { TurnQueue } from './turn-queue.js'
import type { CurrentLane } from './wait-queue.js'

export interface TickDeps extends Pick<PollerDeps, 'store' | 'lease' | 'inquiry' | 'limiter' | 'polling'> {
  answers: InquiryAnswers
  counters: PollerCounters
  turns: TurnQueue
  /** How long a lease claimed now must last to reach the next claim, `waitMs` after this call ends. */
  untilNextCall: (waitMs: number) => number
}

export class PollingTicks {
  readonly #deps: TickDeps

  constructor(deps: TickDeps) {
    this.#deps = deps
  }

  /**
   * The order's attempt `attemptNumber` (counted over all of its runs): the final order, or
   * throws NotFinalYet (p-retry waits and tries again), an AbortError (stop), Parked (wait for
   * a turn in the queue), or the signal's reason.
   */
  async tick(order: PolledOrder, signal: AbortSignal, attemptNumber: number): Promise<PaymentOrderRecord> {
    const { store, polling } = this.#deps
    // The lease taken at attempt n lasts until attempt n + 1 could come.
    const turn: Turn = { hold: order.hold, signal, nextTickInMs: maxDelayAfter(attemptNumber, polling) }
    for (;;) {
      const outcome = await this.#inquire(order, turn)
      if (outcome !== null) return this.#deps.answers.handle(order.hold, outcome)
      const stored = await store.getOrder(order.orderNo)
      if (stored === null) throw new AbortError(new UnknownOrderError(order.orderNo))
      // Final from either side: stop asking.
      if (stored.status !== 'init') return stored
      await this.#untilLeaseLapses(stored.leaseUntil, signal)
    }
  }

  /**
   * One inquiry outside any polling run (after a refused cancel): the final order, null when
   * not final (or another instance holds the lease: said at once), or the error that ends
   * polling (amount mismatch, setup error, invalid answer).
   */
  async inquireOnce(hold: LeaseHold, signal: AbortSignal, lane: CurrentLane): Promise<PaymentOrderRecord | null> {
    const { limiter, inquiry, untilNextCall, store, answers } = this.#deps
    const turn: Turn = { hold, signal, nextTickInMs: 0 }
    const outcome = await limiter.run((start) => inquireInTurn(inquiry, untilNextCall, turn, start), { signal, lane })
    if (outcome === null) {
      const stored = await store.getOrder(hold.orderNo)
      if (stored === null) throw new UnknownOrderError(hold.orderNo)
      return stored.status !== 'init' ? stored : null
    }
    try {
      return await answers.handle(hold, outcome)
    } catch (error) {
      if (error instanceof NotFinalYet) return null
      if (error instanceof AbortError) throw error.originalError
      throw error
    }
  }

  /** The tick's inquiry: in the turn the queue won for it, at once if nobody is ahead, else parked. */
  async #inquire(order: PolledOrder, turn: Turn): Promise<InquiryOutcome | null> {
    const { limiter, inquiry, untilNextCall, turns } = this.#deps
    const granted = order.granted
    if (granted !== null) {
      order.granted = null
      try {
        return await inquireInTurn(inquiry, untilNextCall, turn, granted.start)
      } finally {
        granted.release()
      }
    }
    if (!turns.mayGoNow()) throw new Parked()
    return limiter.run((start) => inquireInTurn(inquiry, untilNextCall, turn, start), { signal: turn.signal, lane: order })
  }

  /**
   * Sleeps until `leaseUntil` by this instance's clock, at least polling.minTimeoutMs (never a
   * busy loop) and at most as long as a lease of this instance could last (a far leaseUntil
   * from a clock ahead of ours is checked again then). Rejects when `signal` aborts.
   */
  async #untilLeaseLapses(leaseUntil: Date | null, signal: AbortSignal): Promise<void> {
    const { polling, lease, untilNextCall } = this.#deps
    const longest = untilNextCall(polling.maxTimeoutMs) + lease.marginMs
    const ms = Math.min(Math.max((leaseUntil?.getTime() ?? 0) - Date.now(), polling.minTimeoutMs), longest)
    this.#deps.counters.leaseWaits++
    await sleep(ms, undefined, { signal })
  }
}
