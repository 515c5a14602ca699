// Wakes this instance's awaitPaymentResult waiters when another instance finalizes their order.
// Every transition this instance wins is announced on the channel; a message from another
// instance about an order this one is polling (or, without a channel, a timer) queues that
// order for a check, and one database query per batch finds which of the queued orders are
// final and publishes them to the in-process hub, which resolves the waiters and stops the
// loops. The database decides, never the message: see wake-channel.ts. Lookups are coalesced
// (what arrives while one runs joins the next) and at least LOOKUP_INTERVAL_MS apart, so that a
// flood of forged or repeated messages costs a bounded number of queries.
import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { ResultHub } from '../polling/result-hub.js'
import type { OrderStore } from '../store/order-store.js'
import { decodeWakeMessage, encodeWakeMessage, type WakeChannel, type WakeChannelStats } from './wake-channel.js'

/** At most one lookup of awaited orders per this interval: 5 queries a second, whatever arrives. */
export const LOOKUP_INTERVAL_MS = 200

/** What the wake-up did on this instance, and its channel's health (see docs/wakeup.md). */
export interface WakeupStats {
  /** The channel's state and counters; null with the database poll (no channel). */
  channel: WakeChannelStats | null
  /** Database lookups of awaited orders (after messages, resyncs and poll ticks). */
  lookups: number
  /** Messages from other instances that named an order this instance awaits. */
  messages: number
}

export interface WaiterWakeupDeps {
  store: OrderStore
  hub: ResultHub
  /** The orders this instance is polling for its waiters, right now. */
  awaitedOrders(): string[]
  isAwaited(orderNo: string): boolean
  /** null: no channel (poll only, or off). */
  channel: WakeChannel | null
  /** Check every awaited order this often; undefined: only on a channel's resync. */
  pollMs: number | undefined
  log: FastifyBaseLogger
}

export class WaiterWakeup {
  readonly #deps: WaiterWakeupDeps
  readonly #instanceId = randomUUID()
  /** Orders to check at the next flush; a burst of messages becomes one query. */
  #queued = new Set<string>()
  #flushing: Promise<void> | undefined
  #timer: NodeJS.Timeout | undefined
  #stopAnnouncing: (() => void) | undefined
  #closed = false
  /** performance.now() at the last lookup: monotonic, so a clock step cannot stall lookups. */
  #lastLookupAt = Number.NEGATIVE_INFINITY
  #lookups = 0
  #messages = 0

  constructor(deps: WaiterWakeupDeps) {
    this.#deps = deps
  }

  async start(): Promise<void> {
    const { channel, store, pollMs } = this.#deps
    if (channel !== null) {
      await channel.start({ message: (text) => this.#onMessage(text), resync: () => this.#checkAllAwaited() })
      this.#stopAnnouncing = store.onFinalized((order) => channel.publish(encodeWakeMessage(this.#instanceId, order.orderNo)))
    }
    if (pollMs !== undefined) this.#timer = setInterval(() => this.#checkAllAwaited(), pollMs)
  }

  stats(): WakeupStats {
    return { channel: this.#deps.channel?.stats() ?? null, lookups: this.#lookups, messages: this.#messages }
  }

  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#timer)
    this.#stopAnnouncing?.()
    await this.#deps.channel?.close()
    await this.#flushing
  }

  #onMessage(text: string): void {
    const message = decodeWakeMessage(text)
    if (message === null || message.instanceId === this.#instanceId) return
    if (!this.#deps.isAwaited(message.orderNo)) return
    this.#messages++
    this.#queue([message.orderNo])
  }

  #checkAllAwaited(): void {
    this.#queue(this.#deps.awaitedOrders())
  }

  #queue(orderNos: string[]): void {
    for (const orderNo of orderNos) this.#queued.add(orderNo)
    this.#scheduleFlush()
  }

  /** One flush at a time; orders queued while one runs go in the next. */
  #scheduleFlush(): void {
    if (this.#closed || this.#queued.size === 0 || this.#flushing !== undefined) return
    this.#flushing = this.#flush().finally(() => {
      this.#flushing = undefined
      this.#scheduleFlush()
    })
  }

  async #flush(): Promise<void> {
    // Let the rest of this burst of messages join the batch, and whatever comes until the
    // interval since the last lookup has passed.
    const wait = this.#lastLookupAt + LOOKUP_INTERVAL_MS - performance.now()
    await new Promise((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)))
    if (this.#closed) return
    const orderNos = [...this.#queued].filter((orderNo) => this.#deps.isAwaited(orderNo))
    this.#queued = new Set()
    if (orderNos.length === 0) return
    this.#lastLookupAt = performance.now()
    this.#lookups++
    try {
      for (const order of await this.#deps.store.findFinalOrders(orderNos)) this.#deps.hub.publish(order)
    } catch (error) {
      // The waiters' own polling ticks still find their results.
      this.#deps.log.warn({ err: error, orders: orderNos.length }, 'alipayplus wakeup: could not check awaited orders')
    }
  }
}
