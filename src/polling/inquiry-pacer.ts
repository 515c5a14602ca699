// When calls to Alipay+ may start: at most maxInquiriesPerSecond in any 1-second window as
// Alipay+ counts them (its traffic limits are per second), and none during the pause after a
// traffic-limit answer (REQUEST_TRAFFIC_EXCEED_LIMIT: when Alipay+ says slow down, every order
// slows down). Per instance: N instances together may make N times the cap.
//
// Alipay+ counts a call when it arrives, which is somewhere between the moment we start it and
// the moment its answer is back: a stalled event loop or a slow network may send calls started
// a second apart together. So a call holds its place in the window from its start until 1 s
// after its end; then whatever the delays, no second at Alipay+ holds more than the cap.
//
// Every time here is from the monotonic clock: a wall-clock step (NTP, an operator) must neither
// stall every call for the size of a step back nor open the window early on a step forward.
import { performance } from 'node:perf_hooks'
import { type CurrentLane, WaitQueue } from './wait-queue.js'

/** How long a call still counts after its answer came back. */
export const RATE_WINDOW_MS = 1_000

/** A call counted in the window: ended null while in flight. */
interface Counted {
  startedAt: number
  endedAt: number | null
}

/** Marks a started call as ended (its answer, an error, or an abort). */
export type EndCall = () => void

export class InquiryPacer {
  readonly #perSecond: number
  /** The calls that still count: in flight, or ended less than RATE_WINDOW_MS ago. */
  #counted: Counted[] = []
  /** The longest of the recent calls, for turnBoundMs. */
  #slowestMs = 0
  #pausedUntil = 0
  readonly #queue = new WaitQueue()
  #timer: NodeJS.Timeout | undefined

  constructor(perSecond: number) {
    this.#perSecond = perSecond
  }

  /**
   * Resolves when a call may start now (and counts it) with the function to call when it has
   * ended; rejects if `signal` aborts first.
   */
  async start(lane: CurrentLane, signal?: AbortSignal): Promise<EndCall> {
    signal?.throwIfAborted()
    let counted: Counted | undefined
    const take = () => {
      counted = { startedAt: performance.now(), endedAt: null }
      this.#counted.push(counted)
    }
    if (this.#queue.size === 0 && this.#nextStartAt() <= performance.now()) take()
    else {
      const turn = this.#queue.wait(lane, signal, take)
      this.#schedule()
      try {
        await turn
      } finally {
        // An aborted caller may have been the last one waiting: no timer left behind.
        if (this.#queue.size === 0) this.#stopTimer()
      }
    }
    return () => this.#end(counted!)
  }

  /** Holds new calls for `ms` (calls already started go on). */
  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, performance.now() + ms)
  }

  /**
   * The longest from a call's request for a start to its end when `callers` callers (itself
   * included) have one call each ahead of or beside it: per maxInquiriesPerSecond of them, a
   * window and a call as slow as the slowest recent one, then its own call (pauses not counted).
   */
  turnBoundMs(callers: number): number {
    return Math.ceil(Math.max(1, callers) / this.#perSecond) * (RATE_WINDOW_MS + this.#slowestMs) + this.#slowestMs
  }

  #end(counted: Counted): void {
    if (counted.endedAt !== null) return
    counted.endedAt = performance.now()
    this.#slowestMs = Math.max(...this.#counted.map((c) => (c.endedAt ?? performance.now()) - c.startedAt))
    this.#drain()
  }

  /** When the next call may start: now, a time, or Infinity until a call in flight ends. */
  #nextStartAt(): number {
    const now = performance.now()
    this.#counted = this.#counted.filter((c) => c.endedAt === null || c.endedAt + RATE_WINDOW_MS > now)
    let freeAt = now
    if (this.#counted.length >= this.#perSecond) {
      const ends = this.#counted.flatMap((c) => (c.endedAt === null ? [] : [c.endedAt + RATE_WINDOW_MS]))
      freeAt = ends.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...ends)
    }
    return Math.max(freeAt, this.#pausedUntil)
  }

  /** A timer for the next start, unless one is set or only an ending call can free a place. */
  #schedule(): void {
    if (this.#timer !== undefined) return
    const at = this.#nextStartAt()
    if (at === Number.POSITIVE_INFINITY) return
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined
        this.#drain()
      },
      Math.max(1, at - performance.now()),
    )
  }

  #drain(): void {
    while (this.#queue.size > 0 && this.#nextStartAt() <= performance.now()) this.#queue.grantNext()
    if (this.#queue.size > 0) this.#schedule()
  }

  #stopTimer(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
