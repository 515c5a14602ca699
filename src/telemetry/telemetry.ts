// What the plugin starts for operators: health() always, and the OpenTelemetry binding when
// @opentelemetry/api is there and not disabled. Both subscribe to the plugin's diagnostics
// channels, each keeping to this plugin instance's messages.
import type { FastifyBaseLogger } from 'fastify'
import type { DeliveryStats } from '../delivery/result-delivery.js'
import type { PollerStats } from '../polling/payment-poller.js'
import type { OrderStore } from '../store/order-store.js'
import { CachedCount } from './cached-count.js'
import { Health, type HealthDeps, type HealthReport } from './health.js'
import { loadOpenTelemetry, OpenTelemetryBinding } from './otel.js'
import type { HealthOptions, ResolvedOpenTelemetry } from './telemetry-options.js'

/** How old a gauge's database count may get: one read per this interval at most. */
const COUNT_MAX_AGE_MS = 30_000
/** The gauges' counts read at most this many rows. */
const COUNT_CAP = 1_000

export interface TelemetryDeps {
  store: OrderStore
  openTelemetry: ResolvedOpenTelemetry
  health: Required<HealthOptions>
  log: FastifyBaseLogger
  wakeup: HealthDeps['wakeup']
  poller: { stats(): PollerStats }
  limiter: { active: number; queued: number }
  delivery: ({ stats(): DeliveryStats } & object) | null
  reconciler: object | null
  inquiryClient: object
}

export interface Telemetry {
  health(): Promise<HealthReport>
  close(): void
}

export async function startTelemetry(deps: TelemetryDeps): Promise<Telemetry> {
  const { store, poller, limiter, delivery, reconciler, wakeup } = deps
  const health = new Health({ store, options: deps.health, wakeup, poller, limiter, delivery, reconciler })
  let binding: OpenTelemetryBinding | undefined
  try {
    const api = await loadOpenTelemetry(deps.openTelemetry)
    if (api !== null) {
      const owners = new Set([store, deps.inquiryClient, delivery, reconciler, wakeup.channel].filter((owner) => owner !== null))
      binding = new OpenTelemetryBinding(api, deps.openTelemetry, {
        owners,
        log: deps.log,
        gauges: {
          pollingLoops: () => poller.stats().activeLoops,
          inquiriesActive: () => limiter.active,
          inquiriesQueued: () => limiter.queued,
          undelivered: delivery === null ? null : new CachedCount(async () => (await store.findUndelivered({ limit: COUNT_CAP })).length, COUNT_MAX_AGE_MS),
          attention: new CachedCount(async () => (await store.findOrdersNeedingAttention(COUNT_CAP)).length, COUNT_MAX_AGE_MS),
        },
      })
      binding.start()
    }
  } catch (error) {
    health.close()
    throw error
  }
  return {
    health: () => health.check(),
    close() {
      binding?.close()
      health.close()
    },
  }
}
