// fastify.alipayplus.health(): is this instance able to decide payments, and what is late?
//   down:     the database cannot be read (nothing can be recorded; notifications get U).
//   degraded: it works, but something a human should know is wrong: the wake-up channel is
//             lost (polling goes on), results wait for onPaymentResult past
//             health.deliveryBacklogMs, or the last reconcile pass could not list orders.
// One cheap model-API read per call (and one more with onPaymentResult); the rest is in memory.
import type { PollerStats } from '../polling/payment-poller.js'
import type { DeliveryStats } from '../delivery/result-delivery.js'
import type { OrderStore } from '../store/order-store.js'
import { ownerOf, type ReconcileMessage, reconcileChannel, type WakeupMessage, wakeupChannel } from './channels.js'
import type { HealthOptions } from './telemetry-options.js'

export type HealthStatus = 'ok' | 'degraded' | 'down'

export interface DatabaseCheck {
  status: 'ok' | 'down'
  /** How long the read took (up to the timeout). */
  latencyMs: number
  error?: string
}

export interface WakeupCheck {
  status: 'ok' | 'degraded'
  /** The `wakeup` option's kind. */
  kind: 'postgres' | 'redis' | 'poll' | 'off'
  /** Whether the channel's connection is up; null without a channel (poll, off). */
  connected: boolean | null
  /** When it last connected or was lost. */
  since: string | null
  lastError: string | null
}

export interface InquiriesCheck {
  status: 'ok'
  /** Orders this instance is polling. */
  pollingLoops: number
  /** Calls to Alipay+ holding a slot, and waiting for one. */
  active: number
  queued: number
}

export interface DeliveryCheck {
  status: 'ok' | 'degraded'
  /** false without onPaymentResult. */
  enabled: boolean
  /** This instance's runs waiting for a slot, and running. */
  queued: number
  running: number
  /** When the oldest result not yet handled (on any instance) became final; null: none. */
  oldestUndeliveredAt: string | null
  error?: string
}

export interface ReconcilerCheck {
  status: 'ok' | 'degraded'
  /** false with reconcile: false. */
  enabled: boolean
  running: boolean
  lastPassAt: string | null
  lastPassMs: number | null
  /** Orders the last pass started polling. */
  lastStarted: number | null
  /** Why the last pass failed; null when it did not. */
  lastError: string | null
}

export interface HealthReport {
  status: HealthStatus
  checks: {
    database: DatabaseCheck
    wakeup: WakeupCheck
    inquiries: InquiriesCheck
    delivery: DeliveryCheck
    reconciler: ReconcilerCheck
  }
}

export interface HealthDeps {
  store: OrderStore
  options: Required<HealthOptions>
  wakeup: { kind: WakeupCheck['kind']; channel: object | null }
  poller: { stats(): PollerStats }
  limiter: { active: number; queued: number }
  delivery: { stats(): DeliveryStats } | null
  reconciler: object | null
}

/** Never the data of an order, never a secret: the error's code or name and a bounded message. */
function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  const message = error instanceof Error ? error.message : String(error)
  const text = typeof code === 'string' ? `${code}: ${message}` : message
  return text.length > 200 ? `${text.slice(0, 197)}...` : text
}

/** Resolves with `promise`, or rejects after `ms`. */
function within<T>(promise: PromiseLike<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/** What a wake-up channel reported through alipayplus:wakeup. */
interface ChannelEvents {
  connected: boolean
  since: Date | null
  lastError: unknown
}

/**
 * The wake-up channel's state: the one place that reads it, today from the channel's own
 * connect and disconnect events. A channel that exposes its state itself would be read here.
 */
export function wakeupConnection(events: ChannelEvents): { connected: boolean; since: Date | null; lastError: unknown } {
  return { connected: events.connected, since: events.since, lastError: events.lastError }
}

/** The orderNo of the database check's read: a valid orderNo no order is expected to have. */
const PROBE_ORDER_NO = 'alipayplus-health-probe'

export class Health {
  readonly #deps: HealthDeps
  readonly #channel: ChannelEvents = { connected: false, since: null, lastError: null }
  readonly #reconcile = {
    runningSince: null as number | null,
    lastPassAt: null as Date | null,
    lastPassMs: null as number | null,
    lastStarted: null as number | null,
    lastError: null as unknown,
  }

  readonly #unsubscribe: Array<() => void> = []

  constructor(deps: HealthDeps) {
    this.#deps = deps
    // Subscribed before the channel starts and before the first pass, so that none is missed.
    const { channel } = deps.wakeup
    if (channel !== null) {
      const onWakeup = (message: unknown) => {
        if (ownerOf(message) === channel) this.#onWakeup(message as WakeupMessage)
      }
      wakeupChannel.subscribe(onWakeup)
      this.#unsubscribe.push(() => wakeupChannel.unsubscribe(onWakeup))
    }
    const { reconciler } = deps
    if (reconciler !== null) {
      const mine = (message: unknown) => ownerOf(message) === reconciler
      const onStart = (message: unknown) => {
        if (mine(message)) this.#reconcile.runningSince = performance.now()
      }
      const onEnd = (message: unknown) => {
        if (mine(message)) this.#onPass(message as ReconcileMessage)
      }
      reconcileChannel.start.subscribe(onStart)
      reconcileChannel.asyncEnd.subscribe(onEnd)
      this.#unsubscribe.push(() => {
        reconcileChannel.start.unsubscribe(onStart)
        reconcileChannel.asyncEnd.unsubscribe(onEnd)
      })
    }
  }

  close(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe()
  }

  async check(): Promise<HealthReport> {
    const [database, delivery] = await Promise.all([this.#database(), this.#delivery()])
    const checks = { database, wakeup: this.#wakeup(), inquiries: this.#inquiries(), delivery, reconciler: this.#reconciler() }
    const statuses: string[] = Object.values(checks).map((check) => check.status)
    const status: HealthStatus = statuses.includes('down') ? 'down' : statuses.includes('degraded') ? 'degraded' : 'ok'
    return { status, checks }
  }

  #onWakeup(message: WakeupMessage): void {
    if (message.event === 'resync') return
    const connected = message.event === 'connect'
    if (message.error !== undefined) this.#channel.lastError = message.error
    if (connected !== this.#channel.connected || this.#channel.since === null) {
      this.#channel.connected = connected
      this.#channel.since = new Date()
    }
  }

  #onPass(message: ReconcileMessage): void {
    const state = this.#reconcile
    state.lastPassAt = new Date()
    state.lastPassMs = state.runningSince === null ? null : Math.round(performance.now() - state.runningSince)
    state.runningSince = null
    state.lastStarted = message.result ?? 0
    state.lastError = message.error ?? null
  }

  async #database(): Promise<DatabaseCheck> {
    const started = performance.now()
    const latencyMs = () => Math.round(performance.now() - started)
    try {
      await within(this.#deps.store.getOrder(PROBE_ORDER_NO), this.#deps.options.databaseTimeoutMs)
      return { status: 'ok', latencyMs: latencyMs() }
    } catch (error) {
      return { status: 'down', latencyMs: latencyMs(), error: describe(error) }
    }
  }

  #wakeup(): WakeupCheck {
    const { kind, channel } = this.#deps.wakeup
    if (channel === null) return { status: 'ok', kind, connected: null, since: null, lastError: null }
    const state = wakeupConnection(this.#channel)
    return {
      status: state.connected ? 'ok' : 'degraded',
      kind,
      connected: state.connected,
      since: state.since?.toISOString() ?? null,
      lastError: state.lastError === null || state.lastError === undefined ? null : describe(state.lastError),
    }
  }

  #inquiries(): InquiriesCheck {
    const { poller, limiter } = this.#deps
    return { status: 'ok', pollingLoops: poller.stats().activeLoops, active: limiter.active, queued: limiter.queued }
  }

  async #delivery(): Promise<DeliveryCheck> {
    const { delivery, store, options } = this.#deps
    if (delivery === null) return { status: 'ok', enabled: false, queued: 0, running: 0, oldestUndeliveredAt: null }
    const { queued, running } = delivery.stats()
    try {
      const [oldest] = await within(store.findUndelivered({ limit: 1 }), options.databaseTimeoutMs)
      const finalizedAt = oldest?.finalizedAt ?? null
      const late = finalizedAt !== null && Date.now() - finalizedAt.getTime() > options.deliveryBacklogMs
      return { status: late ? 'degraded' : 'ok', enabled: true, queued, running, oldestUndeliveredAt: finalizedAt?.toISOString() ?? null }
    } catch (error) {
      return { status: 'degraded', enabled: true, queued, running, oldestUndeliveredAt: null, error: describe(error) }
    }
  }

  #reconciler(): ReconcilerCheck {
    if (this.#deps.reconciler === null) {
      return { status: 'ok', enabled: false, running: false, lastPassAt: null, lastPassMs: null, lastStarted: null, lastError: null }
    }
    const state = this.#reconcile
    return {
      status: state.lastError === null ? 'ok' : 'degraded',
      enabled: true,
      running: state.runningSince !== null,
      lastPassAt: state.lastPassAt?.toISOString() ?? null,
      lastPassMs: state.lastPassMs,
      lastStarted: state.lastStarted,
      lastError: state.lastError === null ? null : describe(state.lastError),
    }
  }
}
