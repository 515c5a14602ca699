// What an operator's dashboard would show after the demo, read the way a metrics backend
// reads it: through OpenTelemetry. A MeterProvider of the SDK with an in-memory reader is
// handed to both instances (openTelemetry.meterProvider); the summary is collected from it,
// not from stats().
import type { Attributes } from '@opentelemetry/api'
import { type Histogram, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'

class InMemoryReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

interface Point<V> {
  attributes: Attributes
  value: V
}

export interface MetricsSummary {
  /** alipayplus.notifications by "answer reason". */
  notifications: Record<string, number>
  /** alipayplus.payment.results by "status source". */
  results: Record<string, number>
  /** alipayplus.client.operation.duration by "operation outcome": calls and mean seconds. */
  calls: Record<string, { count: number; meanSeconds: number }>
  finalization: { count: number; meanSeconds: number; maxSeconds: number }
  deliveryLag: { count: number; meanSeconds: number }
  deliveryRuns: Record<string, { count: number; meanSeconds: number }>
  deliveryFailures: number
}

export interface DemoMetrics {
  meterProvider: MeterProvider
  summary(): Promise<MetricsSummary>
}

const key = (attributes: Attributes, ...names: string[]) => names.map((name) => String(attributes[name] ?? '-')).join(' ')

export function demoMetrics(): DemoMetrics {
  const reader = new InMemoryReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  return {
    meterProvider,
    async summary() {
      const { resourceMetrics } = await reader.collect()
      const points = new Map<string, Array<Point<unknown>>>()
      for (const scope of resourceMetrics.scopeMetrics) for (const metric of scope.metrics) points.set(metric.descriptor.name, metric.dataPoints as Array<Point<unknown>>)
      const counts = (name: string, ...by: string[]) => {
        const out: Record<string, number> = {}
        for (const point of points.get(name) ?? []) out[key(point.attributes, ...by)] = (out[key(point.attributes, ...by)] ?? 0) + (point.value as number)
        return out
      }
      const histograms = (name: string, ...by: string[]) => {
        const out: Record<string, { count: number; sum: number; max: number }> = {}
        for (const point of (points.get(name) ?? []) as Array<Point<Histogram>>) {
          const entry = (out[key(point.attributes, ...by)] ??= { count: 0, sum: 0, max: 0 })
          entry.count += point.value.count
          entry.sum += point.value.sum ?? 0
          entry.max = Math.max(entry.max, point.value.max ?? 0)
        }
        return out
      }
      const mean = (h: { count: number; sum: number }) => ({ count: h.count, meanSeconds: h.count === 0 ? 0 : h.sum / h.count })
      const merged = (name: string) => Object.values(histograms(name)).reduce((a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum, max: Math.max(a.max, b.max) }), { count: 0, sum: 0, max: 0 })
      const finalization = merged('alipayplus.payment.finalization.duration')
      return {
        notifications: counts('alipayplus.notifications', 'alipayplus.answer', 'alipayplus.reason'),
        results: counts('alipayplus.payment.results', 'alipayplus.status', 'alipayplus.source'),
        calls: Object.fromEntries(Object.entries(histograms('alipayplus.client.operation.duration', 'alipayplus.operation', 'alipayplus.outcome')).map(([k, h]) => [k, mean(h)])),
        finalization: { ...mean(finalization), maxSeconds: finalization.max },
        deliveryLag: mean(merged('alipayplus.delivery.lag')),
        deliveryRuns: Object.fromEntries(Object.entries(histograms('alipayplus.delivery.duration', 'alipayplus.outcome')).map(([k, h]) => [k, mean(h)])),
        deliveryFailures: Object.values(counts('alipayplus.delivery.failures')).reduce((a, b) => a + b, 0),
      }
    },
  }
}

const ms = (seconds: number) => `${(seconds * 1000).toFixed(1)} ms`
const list = (record: Record<string, number>) =>
  Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')

/** The summary as the demo prints it. */
export function formatMetrics(m: MetricsSummary): string {
  const calls = Object.entries(m.calls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, c]) => `${k} ${c.count} (mean ${ms(c.meanSeconds)})`)
    .join(', ')
  const runs = Object.entries(m.deliveryRuns)
    .map(([k, c]) => `${k} ${c.count} (mean ${ms(c.meanSeconds)})`)
    .join(', ')
  return [
    "Metrics (OpenTelemetry, read from an in-memory MetricReader of both instances; the story's payment included)",
    `  alipayplus.notifications                  ${list(m.notifications)}`,
    `  alipayplus.payment.results                ${list(m.results)}`,
    `  alipayplus.client.operation.duration      ${calls}`,
    `  alipayplus.payment.finalization.duration  ${m.finalization.count} results, mean ${(m.finalization.meanSeconds).toFixed(2)} s, max ${(m.finalization.maxSeconds).toFixed(2)} s`,
    `  alipayplus.delivery.lag                   ${m.deliveryLag.count} first runs, mean ${ms(m.deliveryLag.meanSeconds)}`,
    `  alipayplus.delivery.duration              ${runs}`,
    `  alipayplus.delivery.failures              ${m.deliveryFailures}`,
  ].join('\n')
}
