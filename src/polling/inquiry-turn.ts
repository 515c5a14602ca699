// One inquiry inside a turn of the limiter (a slot in flight): claim the order's lease, wait
// for the start under the per-second cap, inquire. The claim is the "still init?" check before
// each inquiry, made atomically with taking the lease (its UPDATE matches only an init order):
// one round trip in the common case. It runs inside the turn, right before the inquiry, so that
// thousands of waiting orders queue in memory rather than as UPDATEs in the connection pool, and
// a lease is never claimed long before it is used. It lasts until the holder's next tick could
// come. A start at the per-second cap that took longer than that bound renews it first: a call
// goes out only while the lease has its margin left (isLive, by the monotonic clock).
import type { InquiryClient } from '../protocol/inquiry-client.js'
import type { InquiryOutcome } from '../protocol/inquiry-outcome.js'
import type { StartCall } from './inquiry-limiter.js'
import type { LeaseHold } from './order-lease.js'

/** One tick's inquiry: under which lease, aborted by which signal, when the next tick may come. */
export interface Turn {
  hold: LeaseHold
  signal: AbortSignal
  /** Longest wait the schedule makes before the holder's next tick (0: none). */
  nextTickInMs: number
}

/**
 * The answer, or null when the lease is not this instance's to take (another instance holds it,
 * or the order is no longer init). `untilNextCall` turns the schedule's wait into the lease's length.
 */
export async function inquireInTurn(
  inquiry: InquiryClient,
  untilNextCall: (waitMs: number) => number,
  turn: Turn,
  start: StartCall,
): Promise<InquiryOutcome | null> {
  const { hold, signal } = turn
  const untilNext = untilNextCall(turn.nextTickInMs)
  if (!(await hold.claim(untilNext))) return null
  await start()
  if (!hold.isLive() && !(await hold.claim(untilNext))) return null
  return inquiry.inquire(hold.orderNo, { signal })
}
