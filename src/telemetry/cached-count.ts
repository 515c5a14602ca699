// A count read from the database at most once per maxAgeMs, in the background: what the
// gauges report at each collection, so that a collection never waits on, or adds, a query.
export class CachedCount {
  readonly #read: () => Promise<number>
  readonly #maxAgeMs: number
  #value: number | undefined
  #readAt = Number.NEGATIVE_INFINITY
  #reading: Promise<void> | undefined

  constructor(read: () => Promise<number>, maxAgeMs: number) {
    this.#read = read
    this.#maxAgeMs = maxAgeMs
  }

  /** The last value read (undefined before the first read ends); starts a read if stale. */
  get value(): number | undefined {
    if (this.#reading === undefined && performance.now() - this.#readAt >= this.#maxAgeMs) {
      this.#readAt = performance.now()
      this.#reading = this.#read().then(
        (value) => {
          this.#value = value
        },
        // Kept as it was: the database check of health() reports the outage.
        () => {},
      ).finally(() => {
        this.#reading = undefined
      })
    }
    return this.#value
  }

  /** Resolves once the read in progress, if any, is done. */
  async settled(): Promise<void> {
    await this.#reading
  }
}
