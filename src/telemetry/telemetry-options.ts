// The `openTelemetry` and `health` options: types, defaults and the checks run at register().
// The provider types are structural, so that this package's types never need
// @opentelemetry/api installed (it is an optional peer dependency).
import { InvalidOptionError } from '../errors.js'
import { MAX_TIMER_MS, TIMER_LIMIT_PROBLEM } from '../timer-limit.js'

/** An OpenTelemetry MeterProvider (from @opentelemetry/api or an SDK). */
export interface MeterProviderLike {
  getMeter(name: string, version?: string, options?: object): unknown
}

/** An OpenTelemetry TracerProvider (from @opentelemetry/api or an SDK). */
export interface TracerProviderLike {
  getTracer(name: string, version?: string, options?: object): unknown
}

export interface OpenTelemetryOptions {
  /**
   * false: no metrics or spans, and @opentelemetry/api is never loaded. Default: on when
   * @opentelemetry/api is installed (a no-op until the application registers an SDK).
   */
  enabled?: boolean
  /** Where the metrics go. Default: the global MeterProvider (metrics.getMeterProvider()). */
  meterProvider?: MeterProviderLike
  /** Where the spans go. Default: the global TracerProvider (trace.getTracerProvider()). */
  tracerProvider?: TracerProviderLike
}

export interface HealthOptions {
  /** The database check fails (status down) past this. Default 2000 ms. */
  databaseTimeoutMs?: number
  /** An undelivered result final for longer than this makes the delivery check degraded. Default 300000 ms (5 minutes). */
  deliveryBacklogMs?: number
}

export interface ResolvedOpenTelemetry {
  enabled: boolean
  /** The application asked for it (enabled: true or a provider): a missing API is an error. */
  required: boolean
  meterProvider: MeterProviderLike | undefined
  tracerProvider: TracerProviderLike | undefined
}

export const TELEMETRY_DEFAULTS = {
  health: { databaseTimeoutMs: 2_000, deliveryBacklogMs: 300_000 },
} as const

function provider<P>(value: unknown, name: string, method: string): P | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || typeof (value as Record<string, unknown>)[method] !== 'function') {
    throw new InvalidOptionError(`openTelemetry.${name}`, `must be an OpenTelemetry ${name === 'meterProvider' ? 'MeterProvider' : 'TracerProvider'} (with ${method}())`)
  }
  return value as P
}

function duration(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidOptionError(`health.${name}`, `must be a positive integer, got ${JSON.stringify(value)}`)
  }
  if (value > MAX_TIMER_MS) throw new InvalidOptionError(`health.${name}`, TIMER_LIMIT_PROBLEM)
  return value
}

export function resolveTelemetry(
  openTelemetry: OpenTelemetryOptions | undefined,
  health: HealthOptions | undefined,
): { openTelemetry: ResolvedOpenTelemetry; health: Required<HealthOptions> } {
  if (openTelemetry !== undefined && (typeof openTelemetry !== 'object' || openTelemetry === null)) {
    throw new InvalidOptionError('openTelemetry', 'must be an object such as { enabled: false }')
  }
  if (health !== undefined && (typeof health !== 'object' || health === null)) throw new InvalidOptionError('health', 'must be an object')
  const { enabled } = openTelemetry ?? {}
  if (enabled !== undefined && typeof enabled !== 'boolean') throw new InvalidOptionError('openTelemetry.enabled', 'must be a boolean')
  const meterProvider = provider<MeterProviderLike>(openTelemetry?.meterProvider, 'meterProvider', 'getMeter')
  const tracerProvider = provider<TracerProviderLike>(openTelemetry?.tracerProvider, 'tracerProvider', 'getTracer')
  const defaults = TELEMETRY_DEFAULTS.health
  return {
    openTelemetry: {
      enabled: enabled !== false,
      required: enabled === true || meterProvider !== undefined || tracerProvider !== undefined,
      meterProvider,
      tracerProvider,
    },
    health: {
      databaseTimeoutMs: duration(health?.databaseTimeoutMs, 'databaseTimeoutMs', defaults.databaseTimeoutMs),
      deliveryBacklogMs: duration(health?.deliveryBacklogMs, 'deliveryBacklogMs', defaults.deliveryBacklogMs),
    },
  }
}
