// The polling of the awaited orders: one per order (single flight), however many callers wait
// on it, so there is one inquiry per tick, not one per caller. p-retry schedules each order's
// ticks (attempts, backoff, the window as maxRetryTime). An order whose tick would only queue
// behind other orders for a turn at Alipay+ ends its p-retry run there and waits parked in the
// TurnQueue as a small record; when its turn comes, a new p-retry run takes up its schedule
// where it stood (the same attempt number, the same waits after it) and its first tick uses
// that turn. So at any time only the orders sleeping out a backoff wait or in a tick hold a
// run; with ten thousand orders waiting for turns, almost none do.
//
// A result published by the notify route (or the wake-up) settles the order's waiters at once
// and stops its polling. When polling ends, the order leaves the map first (a waiter whose own
// window goes on starts a new polling rather than joining this one), then its lease is let go
// (another instance need not wait for it to lapse), then the waiters hear how it ended.
import { performance } from 'node:perf_hooks'
import pRetry from 'p-retry'
import type { StartCall } from './inquiry-limiter.js'
import { InquiryAnswers } from './inquiry-answers.js'
import { Finalized, NoWaiters, NotFinalYet, Parked } from './loop-stops.js'
import { PolledOrder } from './polled-order.js'
import type { Lane, LoopOutcome, PollerCounters, PollerDeps } from './poller-types.js'
import { PollingTicks } from './polling-tick.js'
import { TurnQueue } from './turn-queue.js'
import type { PaymentOrderRecord } from '../store/prisma-types.js'

export interface LoopsDeps extends Omit<PollerDeps, 'cancels' | 'successAfterCancel' | 'cancelAfterWindow'> {
  counters: PollerCounters
  /** Aborted by close(): no more turns are asked for. */
  closing: AbortSignal
  untilNextCall: (waitMs: number) => number
  /** Tells the order's waiters how its polling ended (also at once when its result is published). */
  settle: (order: PolledOrder, outcome: LoopOutcome) => void
}

/**
 * p-retry's own defaults for these two, passed so that its copy of the options gains no
 * properties: adding them gave every run's copy a hidden class of its own (~400 B a run).
 */
const always = () => true

/** The run ended only to wait for a turn in the queue. */
const PARKED = Symbol('parked')

export class PollingLoops {
  readonly #deps: LoopsDeps
  readonly #orders = new Map<string, PolledOrder>()
  readonly #turns: TurnQueue
  readonly ticks: PollingTicks
  /** Ends in progress (the lease's release): close() waits for them too. */
  readonly #ending = new Set<Promise<void>>()

  constructor(deps: LoopsDeps) {
    this.#deps = deps
    this.#turns = new TurnQueue(deps.limiter, deps.closing, (order, start) => this.#onTurn(order, start))
    const answers = new InquiryAnswers(deps, deps.counters)
    this.ticks = new PollingTicks({ ...deps, answers, turns: this.#turns })
    deps.hub.listen((order) => this.#published(order))
  }

  get size(): number {
    return this.#orders.size
  }

  has(orderNo: string): boolean {
    return this.#orders.has(orderNo)
  }

  orderNos(): string[] {
    return [...this.#orders.keys()]
  }

  /** The order's polling, started (window `windowMs`) if none runs. A foreground lane makes it foreground for good. */
  join(orderNo: string, windowMs: number, lane: Lane): PolledOrder {
    let order = this.#orders.get(orderNo)
    if (order === undefined) {
      order = new PolledOrder(orderNo, this.#deps.lease.hold(orderNo), performance.now() + windowMs)
      order.foreground = lane === 'foreground'
      this.#orders.set(orderNo, order)
      this.#deps.counters.loopsStarted++
      // Its first tick would only wait for its turn: it waits parked from the start, without a
      // run (10,000 calls started together make 16 runs, not 10,000 that park at once).
      if (this.#turns.mayGoNow()) this.#run(order, null)
      else this.#turns.park(order)
    } else if (lane === 'foreground' && !order.foreground) {
      // Read at the order's next turn, even if it is queued already.
      order.foreground = true
      this.#turns.promote(order)
    }
    return order
  }

  /** Stops the order's polling: its waiters hear `reason` (NoWaiters: null). */
  stop(order: PolledOrder, reason: Error): void {
    if (order.state === 'running') order.controller!.abort(reason)
    else if (order.state === 'parked') void this.#end(order, reason instanceof NoWaiters ? { order: null } : { error: reason })
  }

  /** Stops every order's polling with its own reason; resolves once every run and release is done. */
  async stopAll(reason: (order: PolledOrder) => Error): Promise<void> {
    const orders = [...this.#orders.values()]
    for (const order of orders) this.stop(order, reason(order))
    const runs = orders.flatMap((order) => (order.run === null ? [] : [order.run]))
    await Promise.allSettled([...runs, ...this.#ending])
  }

  /** A p-retry run of the order's schedule, from where it stands; `granted`: the turn its first tick uses. */
  #run(order: PolledOrder, granted: PolledOrder['granted']): void {
    const { polling, log } = this.#deps
    const controller = new AbortController()
    order.state = 'running'
    order.controller = controller
    order.granted = granted
    // p-retry waits round(random * minTimeout * factor ** (n - 1)) after this run's attempt n:
    // with minTimeout grown by the attempts already made, the wait after attempt offset + n of
    // the order, as one run over the whole window would have made it (capped at maxTimeout).
    const offset = order.attempts
    order.run = pRetry((attemptNumber: number) => this.ticks.tick(order, controller.signal, offset + attemptNumber), {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: Math.min(polling.minTimeoutMs * polling.factor ** offset, polling.maxTimeoutMs),
      maxTimeout: polling.maxTimeoutMs,
      factor: polling.factor,
      randomize: polling.randomize,
      maxRetryTime: Math.max(0, order.windowEndsAt - performance.now()),
      signal: controller.signal,
      shouldRetry: always,
      shouldConsumeRetry: always,
      onFailedAttempt: ({ error, attemptNumber }) => {
        // Not an attempt: the tick only waits for its turn, and the resumed run makes it.
        if (error instanceof Parked) throw error
        // Stopped (published, nobody waits, close()): p-retry ends at its next step.
        if (controller.signal.aborted) return
        order.attempts++
        log.debug({ orderNo: order.orderNo, attemptNumber: offset + attemptNumber, why: error.message }, 'alipayplus: no final result yet')
      },
    })
      .then(
        (final) => this.#afterRun(order, controller.signal, { order: final }),
        (error: unknown) => this.#afterRun(order, controller.signal, howItEnded(controller.signal, error)),
      )
  }

  async #afterRun(order: PolledOrder, signal: AbortSignal, outcome: LoopOutcome | typeof PARKED): Promise<void> {
    // Stopped since its run parked it: what stopped it decides (a parked order nobody waits for would poll on).
    if (outcome === PARKED && signal.aborted) outcome = howItEnded(signal, undefined)
    order.controller = null
    order.run = null
    // A turn its run never used (the run failed to start) goes back to the limiter.
    order.granted?.release()
    order.granted = null
    if (outcome === PARKED) return this.#turns.park(order)
    await this.#end(order, outcome)
  }

  /** A turn won for a parked order: resume its schedule in it, unless its window is over. */
  #onTurn(order: PolledOrder, start: StartCall): Promise<void> {
    if (order.state !== 'parked') return Promise.resolve()
    if (performance.now() >= order.windowEndsAt) {
      void this.#end(order, { order: null })
      return Promise.resolve()
    }
    return new Promise((release) => this.#run(order, { start, release }))
  }

  #published(final: PaymentOrderRecord): void {
    const order = this.#orders.get(final.orderNo)
    if (order === undefined) return
    // The waiters hear at once; the run stops at its next step.
    this.#deps.settle(order, { order: final })
    this.stop(order, new Finalized(final))
  }

  #end(order: PolledOrder, outcome: LoopOutcome): Promise<void> {
    if (order.state === 'ended') return Promise.resolve()
    order.state = 'ended'
    this.#turns.remove(order)
    if (this.#orders.get(order.orderNo) === order) this.#orders.delete(order.orderNo)
    // release() never throws; a new polling of this instance may claim meanwhile, and the
    // release leaves that claim alone.
    const ending = order.hold.release().then(() => this.#deps.settle(order, outcome))
    this.#ending.add(ending)
    return ending.finally(() => this.#ending.delete(ending))
  }
}

/** How a run ended, from what stopped it (the signal's reason first) or what p-retry threw. */
function howItEnded(signal: AbortSignal, error: unknown): LoopOutcome | typeof PARKED {
  const reason: unknown = signal.reason
  if (reason instanceof Finalized) return { order: reason.order }
  if (reason instanceof NoWaiters) return { order: null }
  if (signal.aborted) return { error: reason }
  if (error instanceof Parked) return PARKED
  // p-retry's window (maxRetryTime) ended on a tick that was not final.
  if (error instanceof NotFinalYet) return { order: null }
  return { error }
}
