// The OpenTelemetry SDK as an application registers it, with in-memory ends: a MeterProvider
// whose reader a test collects on demand, and a TracerProvider exporting to memory. The
// AsyncLocalStorage context manager is the one the Node.js SDK registers: spans started inside
// context.with() nest.
import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { type MetricData, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())

/** A reader that exports nowhere: the test calls collect(). */
class InMemoryReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

export interface OtelSdk {
  meterProvider: MeterProvider
  tracerProvider: BasicTracerProvider
  spans: InMemorySpanExporter
  /** Every metric collected now, by name. */
  metrics(): Promise<Map<string, MetricData>>
  shutdown(): Promise<void>
}

export function otelSdk(): OtelSdk {
  const reader = new InMemoryReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  const spans = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
  return {
    meterProvider,
    tracerProvider,
    spans,
    async metrics() {
      const { resourceMetrics } = await reader.collect()
      const byName = new Map<string, MetricData>()
      for (const scope of resourceMetrics.scopeMetrics) for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric)
      return byName
    },
    async shutdown() {
      await Promise.all([meterProvider.shutdown(), tracerProvider.shutdown()])
    },
  }
}

/** The data points of `metric` whose attributes include `attributes`. */
export function pointsOf(metric: MetricData | undefined, attributes: Record<string, unknown> = {}): Array<{ attributes: Record<string, unknown>; value: unknown }> {
  const points = (metric?.dataPoints ?? []) as Array<{ attributes: Record<string, unknown>; value: unknown }>
  return points.filter((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value))
}

/** A counter's or gauge's value, or a histogram's count, summed over the matching points. */
export function total(metric: MetricData | undefined, attributes: Record<string, unknown> = {}): number {
  let sum = 0
  for (const { value } of pointsOf(metric, attributes)) sum += typeof value === 'number' ? value : (value as { count: number }).count
  return sum
}
