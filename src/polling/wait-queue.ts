// Callers waiting for a turn (a slot in flight, a start within the per-second cap), served
// foreground first: an order someone awaits never waits behind the reconciler's backlog. The
// lane is read when a turn is granted, not when the caller queued, so a loop whose first
// application waiter joins while it is queued moves ahead at once.

/** A caller's lane as of now: foreground (its turn comes before the background ones) or not. Read at each grant. */
export interface CurrentLane {
  readonly foreground: boolean
}

export const FOREGROUND_LANE: CurrentLane = Object.freeze({ foreground: true })

interface Entry {
  lane: CurrentLane
  grant: () => void
}

export class WaitQueue {
  readonly #entries: Entry[] = []

  get size(): number {
    return this.#entries.length
  }

  /**
   * Resolves when this caller's turn is granted (`onGrant` runs synchronously at the grant, so
   * the granter sees its effect); rejects with the signal's reason if it aborts first.
   */
  wait(lane: CurrentLane, signal: AbortSignal | undefined, onGrant: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry: Entry = {
        lane,
        grant: () => {
          signal?.removeEventListener('abort', onAbort)
          onGrant()
          resolve()
        },
      }
      const onAbort = () => {
        const index = this.#entries.indexOf(entry)
        if (index !== -1) this.#entries.splice(index, 1)
        reject(signal!.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#entries.push(entry)
    })
  }

  /** Grants the oldest foreground caller's turn, else the oldest caller's. false: nobody waits. */
  grantNext(): boolean {
    // A linear scan: the queue holds at most the orders being polled, and turns are granted at
    // most maxInquiriesPerSecond times a second.
    const foreground = this.#entries.findIndex((entry) => entry.lane.foreground)
    const [entry] = this.#entries.splice(foreground === -1 ? 0 : foreground, 1)
    entry?.grant()
    return entry !== undefined
  }
}
