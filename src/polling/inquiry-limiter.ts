// What every call to Alipay+ (inquiryPayment, cancelPayment) goes through, so that ten
// thousand waiters never flood it: a global cap on calls in flight, then the pacer's
// per-second cap and traffic-limit pause. Both queues serve foreground callers first (orders
// someone awaits), so the reconciler's backlog never starves them.
import { type EndCall, InquiryPacer } from './inquiry-pacer.js'
import { type CurrentLane, FOREGROUND_LANE, WaitQueue } from './wait-queue.js'

export interface LimiterOptions {
  maxConcurrent: number
  maxPerSecond: number
}

export interface RunOptions {
  signal?: AbortSignal | undefined
  /** Default: foreground. */
  lane?: CurrentLane
}

/** Waits for the call's start under the per-second cap and any pause; counts it until the task ends. */
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
   * calls `start()` right before the call to Alipay+: the call counts against the per-second
   * cap from then until the task ends, not while it waits on the database. Rejects if `signal`
   * aborts first.
   */
  async run<T>(task: (start: StartCall) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const { signal, lane = FOREGROUND_LANE } = options
    await this.#acquire(lane, signal)
    let endCall: EndCall | undefined
    const start = async () => {
      endCall = await this.#pacer.start(lane, signal)
    }
    try {
      return await task(start)
    } finally {
      endCall?.()
      this.#release()
    }
  }

  /** The longest from asking for a start to the end of the call, `callers` callers queued (see InquiryPacer). */
  turnBoundMs(callers: number): number {
    return this.#pacer.turnBoundMs(callers)
  }

  /** Holds new calls for `ms` (calls already in flight go on). */
  pause(ms: number): void {
    this.#pacer.pause(ms)
  }

  /** Calls holding a slot now, and callers waiting for one (read by health() and the gauges). */
  get active(): number {
    return this.#active
  }

  get queued(): number {
    return this.#queue.size
  }

  /** True when a run() now gets its slot at once: one is free and nobody is queued for it. */
  get hasFreeSlot(): boolean {
    return this.#active < this.#max && this.#queue.size === 0
  }

  /** The most calls ever in flight at once. */
  get peak(): number {
    return this.#peak
  }

  #acquire(lane: CurrentLane, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted()
    if (this.#active < this.#max) {
      this.#take()
      return Promise.resolve()
    }
    return this.#queue.wait(lane, signal, () => this.#take())
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
