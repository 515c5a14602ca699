// What every call to Alipay+ (inquiryPayment, cancelPayment) goes through, so that ten
// thousand waiters never flood it: a global cap on calls in flight, then the pacer's
// per-second cap and traffic-limit pause. Both queues serve foreground callers first (orders
// someone awaits), so the reconciler's backlog never starves them.
import { InquiryPacer } from './inquiry-pacer.js'
import { FOREGROUND, type Priority, WaitQueue } from './wait-queue.js'

export interface LimiterOptions {
  maxConcurrent: number
  maxPerSecond: number
}

export interface RunOptions {
  signal?: AbortSignal | undefined
  /** Default: foreground. */
  priority?: Priority
}

/** Waits for the call's start under the per-second cap and any pause; counts it. */
export type StartCall = () => Promise<void>

export class InquiryLimiter {
  readonly #max: number
  readonly #pacer: InquiryPacer
  #active = 0
  #peak = 0
  readonly #queue = new WaitQueue()

  constructor(options: LimiterOptions) {
    this.#max = options.maxConcurrent
    this.#pacer = new InquiryPacer(options.maxPerSecond)
  }

  /**
   * Runs `task` once a slot is free. The task does its own preparation (the lease claim) and
   * calls `start()` right before the call to Alipay+, so the per-second cap is kept on what
   * Alipay+ sees, not on database round trips. Rejects if `signal` aborts first.
   */
  async run<T>(task: (start: StartCall) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const { signal, priority = FOREGROUND } = options
    await this.#acquire(priority, signal)
    try {
      return await task(() => this.#pacer.start(priority, signal))
    } finally {
      this.#release()
    }
  }

  /** Holds new calls for `ms` (calls already in flight go on). */
  pause(ms: number): void {
    this.#pacer.pause(ms)
  }

  /** The most calls ever in flight at once. */
  get peak(): number {
    return this.#peak
  }

  #acquire(priority: Priority, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted()
    if (this.#active < this.#max) {
      this.#take()
      return Promise.resolve()
    }
    return this.#queue.wait(priority, signal, () => this.#take())
  }

  #take(): void {
    this.#active++
    if (this.#active > this.#peak) this.#peak = this.#active
  }

  #release(): void {
    this.#active--
    this.#queue.grantNext()
  }
}
