// The `openTelemetry` and `health` options: types, defaults and their tables (checked at register()).
// The provider types are structural, so that this package's types never need
// @opentelemetry/api installed (it is an optional peer dependency).
import { InvalidOptionError } from '../errors.js'
import { boolean, durationMs, type Group, group, mapped, optional, type Rule } from '../option-table.js'

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

function provider<P>(method: string, kind: string): Rule<P | undefined> {
  return optional<P | undefined>(undefined, (value, path) => {
    if (typeof value !== 'object' || value === null || typeof (value as Record<string, unknown>)[method] !== 'function') {
      throw new InvalidOptionError(path, `must be an OpenTelemetry ${kind} (with ${method}())`)
    }
    return value as P
  })
}

const OPEN_TELEMETRY: Group<{ enabled: boolean | undefined; meterProvider: MeterProviderLike | undefined; tracerProvider: TracerProviderLike | undefined }> = {
  expected: 'an object such as { enabled: false }',
  rules: {
    enabled: optional<boolean | undefined>(undefined, boolean),
    meterProvider: provider<MeterProviderLike>('getMeter', 'MeterProvider'),
    tracerProvider: provider<TracerProviderLike>('getTracer', 'TracerProvider'),
  },
}

export const OPEN_TELEMETRY_OPTION: Rule<ResolvedOpenTelemetry> = mapped(group(OPEN_TELEMETRY), ({ enabled, meterProvider, tracerProvider }) => ({
  enabled: enabled !== false,
  required: enabled === true || meterProvider !== undefined || tracerProvider !== undefined,
  meterProvider,
  tracerProvider,
}))

export const HEALTH_OPTIONS: Group<Required<HealthOptions>> = {
  rules: {
    databaseTimeoutMs: optional(TELEMETRY_DEFAULTS.health.databaseTimeoutMs, durationMs),
    deliveryBacklogMs: optional(TELEMETRY_DEFAULTS.health.deliveryBacklogMs, durationMs),
  },
}
