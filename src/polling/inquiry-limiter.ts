// A global cap on inquiryPayment calls in flight, so that ten thousand waiters never flood
// Alipay+, with a shared pause after a traffic-limit answer (REQUEST_TRAFFIC_EXCEED_LIMIT):
// when Alipay+ says slow down, every order slows down, not just the one that was told.
export class InquiryLimiter {
  readonly #max: number
  #active = 0
  #peak = 0
  #pausedUntil = 0
  readonly #queue: Array<() => void> = []

  constructor(max: number) {
    this.#max = max
  }

  /** Runs `task` once a slot is free (and any pause is over). Rejects if `signal` aborts first. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal)
    try {
      await this.#waitForPause(signal)
      return await task()
    } finally {
      this.#release()
    }
  }

  /** Holds new calls for `ms` (calls already in flight go on). */
  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + ms)
  }

  /** The most calls ever in flight at once. */
  get peak(): number {
    return this.#peak
  }

  #acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    if (this.#active < this.#max) {
      this.#take()
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort)
        this.#take()
        resolve()
      }
      const onAbort = () => {
        const index = this.#queue.indexOf(grant)
        if (index !== -1) this.#queue.splice(index, 1)
        reject(signal!.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#queue.push(grant)
    })
  }

  #take(): void {
    this.#active++
    if (this.#active > this.#peak) this.#peak = this.#active
  }

  #release(): void {
    this.#active--
    this.#queue.shift()?.()
  }

  async #waitForPause(signal?: AbortSignal): Promise<void> {
    const wait = this.#pausedUntil - Date.now()
    if (wait <= 0) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, wait)
      const onAbort = () => {
        clearTimeout(timer)
        reject(signal!.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }
}
