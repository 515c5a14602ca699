// When calls to Alipay+ may start: at most maxInquiriesPerSecond starts in any 1-second window
// (Alipay+'s traffic limits are per second), and none during the pause after a traffic-limit
// answer (REQUEST_TRAFFIC_EXCEED_LIMIT: when Alipay+ says slow down, every order slows down).
// Per instance: N instances together may start N times the cap.
import { type Priority, WaitQueue } from './wait-queue.js'

/**
 * The window the cap is kept over: 1 s as Alipay+ counts it, plus a guard, because Alipay+
 * counts arrivals, and two requests started exactly 1 s apart may arrive less than 1 s apart.
 */
export const RATE_WINDOW_MS = 1_000 + 50

export class InquiryPacer {
  readonly #perSecond: number
  /** Start times of the last #perSecond calls, oldest first. */
  readonly #starts: number[] = []
  #pausedUntil = 0
  readonly #queue = new WaitQueue()
  #timer: NodeJS.Timeout | undefined

  constructor(perSecond: number) {
    this.#perSecond = perSecond
  }

  /** Resolves when a call may start now (and counts it); rejects if `signal` aborts first. */
  async start(priority: Priority, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    if (this.#queue.size === 0 && this.#nextStartAt() <= Date.now()) return this.#record()
    const turn = this.#queue.wait(priority, signal, () => this.#record())
    this.#schedule()
    try {
      await turn
    } finally {
      // An aborted caller may have been the last one waiting: no timer left behind.
      if (this.#queue.size === 0) this.#stopTimer()
    }
  }

  /** Holds new calls for `ms` (calls already started go on). */
  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + ms)
  }

  #nextStartAt(): number {
    const oldest = this.#starts.length < this.#perSecond ? undefined : this.#starts[0]
    return Math.max(oldest === undefined ? 0 : oldest + RATE_WINDOW_MS, this.#pausedUntil)
  }

  #record(): void {
    this.#starts.push(Date.now())
    if (this.#starts.length > this.#perSecond) this.#starts.shift()
  }

  #schedule(): void {
    if (this.#timer !== undefined) return
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined
        this.#drain()
      },
      Math.max(1, this.#nextStartAt() - Date.now()),
    )
  }

  #drain(): void {
    while (this.#queue.size > 0 && this.#nextStartAt() <= Date.now()) this.#queue.grantNext()
    if (this.#queue.size > 0) this.#schedule()
  }

  #stopTimer(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
