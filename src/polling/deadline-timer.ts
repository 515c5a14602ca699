// One timer for every waiter's window. With a setTimeout per waiter, 10,000 waiters are 10,000
// timers (each an object with its closure, in Node's timer lists); here a waiter is a heap entry
// and the one timer is set for the earliest deadline. Times are from the monotonic clock, like
// the setTimeout delays they replace.
import { performance } from 'node:perf_hooks'

/** An entry: when it expires, and where it sits in the heap (-1: not in it). */
export interface Deadline {
  readonly at: number
  heapIndex: number
}

export class DeadlineTimer<T extends Deadline> {
  /** A binary min-heap on `at`; each entry knows its index, so removal is O(log n). */
  readonly #heap: T[] = []
  readonly #expire: (entry: T) => void
  #timer: NodeJS.Timeout | undefined
  #timerAt = Number.POSITIVE_INFINITY

  /** `expire` is called once for each entry whose time has come (already removed). */
  constructor(expire: (entry: T) => void) {
    this.#expire = expire
  }

  get size(): number {
    return this.#heap.length
  }

  add(entry: T): void {
    entry.heapIndex = this.#heap.length
    this.#heap.push(entry)
    this.#up(entry.heapIndex)
    this.#arm()
  }

  /** Takes `entry` out (no-op if it is not in). */
  remove(entry: T): void {
    const index = entry.heapIndex
    if (index < 0) return
    entry.heapIndex = -1
    const last = this.#heap.pop()!
    if (index < this.#heap.length) {
      this.#heap[index] = last
      last.heapIndex = index
      this.#down(index)
      this.#up(last.heapIndex)
    }
    // No timer left behind once nothing waits (a process with no waiters may exit).
    if (this.#heap.length === 0) this.#disarm()
  }

  #arm(): void {
    const first = this.#heap[0]
    if (first === undefined) return this.#disarm()
    // A timer for an earlier time fires first and sets the next one.
    if (this.#timer !== undefined && this.#timerAt <= first.at) return
    this.#disarm()
    this.#timerAt = first.at
    this.#timer = setTimeout(() => this.#fire(), Math.max(1, Math.ceil(first.at - performance.now())))
  }

  #disarm(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#timerAt = Number.POSITIVE_INFINITY
  }

  #fire(): void {
    this.#timer = undefined
    this.#timerAt = Number.POSITIVE_INFINITY
    const now = performance.now()
    for (let first = this.#heap[0]; first !== undefined && first.at <= now; first = this.#heap[0]) {
      this.remove(first)
      this.#expire(first)
    }
    this.#arm()
  }

  #up(index: number): void {
    const heap = this.#heap
    const entry = heap[index]!
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = heap[parentIndex]!
      if (parent.at <= entry.at) break
      heap[index] = parent
      parent.heapIndex = index
      index = parentIndex
    }
    heap[index] = entry
    entry.heapIndex = index
  }

  #down(index: number): void {
    const heap = this.#heap
    const entry = heap[index]!
    for (;;) {
      let child = 2 * index + 1
      if (child >= heap.length) break
      if (child + 1 < heap.length && heap[child + 1]!.at < heap[child]!.at) child++
      const smaller = heap[child]!
      if (smaller.at >= entry.at) break
      heap[index] = smaller
      smaller.heapIndex = index
      index = child
    }
    heap[index] = entry
    entry.heapIndex = index
  }
}
