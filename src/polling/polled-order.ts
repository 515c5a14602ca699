// One order this instance polls for its waiters: a small record, whatever it is doing. While a
// tick is due or running it has a p-retry run (and that run's AbortController); while it waits
// for a turn behind other orders it is parked in the turn queue and holds no run at all, only
// where its schedule stands (attempts) and when its window ends.
import type { LeaseHold } from './order-lease.js'
import type { StartCall } from './inquiry-limiter.js'
import type { Lane } from './poller-types.js'
import type { CurrentLane } from './wait-queue.js'
import type { Waiter } from './waiter.js'

/** A turn the turn queue won for a parked order: its start, and how to give the slot back. */
export interface GrantedTurn {
  start: StartCall
  release: () => void
}

export type PolledOrderState = 'running' | 'parked' | 'ended'

export class PolledOrder implements CurrentLane {
  readonly orderNo: string
  /** The lease every tick of this order takes; released when its polling ends. */
  readonly hold: LeaseHold
  /** performance.now() when polling stops (the window of the waiter that started it). */
  readonly windowEndsAt: number
  /** Foreground from the first application waiter on (read at each turn, see WaitQueue). */
  foreground = false
  state: PolledOrderState = 'running'
  /** Which turn-queue lane holds it while parked (null: none). */
  queued: Lane | null = null
  waiters: Waiter[] = []
  /** p-retry attempts made so far, over all of its runs: where a resumed run takes up the schedule. */
  attempts = 0
  /** The run in progress: what stops it, and its end (what close() waits for). */
  controller: AbortController | null = null
  run: Promise<void> | null = null
  /** A turn won while parked, for the resumed run's first tick. */
  granted: GrantedTurn | null = null

  constructor(orderNo: string, hold: LeaseHold, windowEndsAt: number) {
    this.orderNo = orderNo
    this.hold = hold
    this.windowEndsAt = windowEndsAt
  }
}
