// The plugin's OpenTelemetry instruments, named after OpenTelemetry's rules: no _total,
// durations in seconds, and no unbounded attribute (orderNo, messages) on any metric.
import type { Attributes, BatchObservableResult, Meter, Observable } from '@opentelemetry/api'
import type { CachedCount } from './cached-count.js'

/** Histogram buckets in seconds: from a fast database write to a slow handler or a long window. */
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]

/** What the gauges read: in-memory values of this instance, and counts cached from the database. */
export interface GaugeSources {
  pollingLoops(): number
  inquiriesActive(): number
  inquiriesQueued(): number
  /** null without onPaymentResult. */
  undelivered: CachedCount | null
  attention: CachedCount
}

export function createInstruments(meter: Meter, sources: GaugeSources) {
  const seconds = (name: string, description: string) =>
    meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } })
  const instruments = {
    notifications: meter.createCounter('alipayplus.notifications', {
      description: 'notifyPayment requests answered, by answer (S, U, F or the HTTP class) and reason',
      unit: '{notification}',
    }),
    operationDuration: seconds('alipayplus.client.operation.duration', 'Duration of the calls to Alipay+ (inquiryPayment, cancelPayment)'),
    results: meter.createCounter('alipayplus.payment.results', {
      description: 'Final results recorded by this instance (init -> final transitions won), by status and source',
      unit: '{result}',
    }),
    finalization: seconds('alipayplus.payment.finalization.duration', 'Time from the order creation to its final result'),
    deliveryLag: seconds('alipayplus.delivery.lag', 'Time from a final result to the start of its first onPaymentResult run'),
    deliveryDuration: seconds('alipayplus.delivery.duration', 'Duration of the onPaymentResult runs'),
    deliveryFailures: meter.createCounter('alipayplus.delivery.failures', {
      description: 'onPaymentResult runs that threw, rejected or timed out',
      unit: '{run}',
    }),
  }
  const gauges = {
    pollingLoops: meter.createObservableGauge('alipayplus.polling.active', {
      description: 'Orders this instance is polling (awaited or reconciled)',
      unit: '{order}',
    }),
    inquiriesActive: meter.createObservableGauge('alipayplus.client.active_operations', {
      description: 'Calls to Alipay+ holding a slot of maxConcurrentInquiries',
      unit: '{operation}',
    }),
    inquiriesQueued: meter.createObservableGauge('alipayplus.client.queued_operations', {
      description: 'Calls to Alipay+ waiting for a slot',
      unit: '{operation}',
    }),
    undelivered: meter.createObservableGauge('alipayplus.delivery.pending', {
      description: 'Final results onPaymentResult has not handled yet (all instances; cached, capped at 1000)',
      unit: '{result}',
    }),
    attention: meter.createObservableGauge('alipayplus.orders.attention', {
      description: 'Init orders left to a human (all instances; cached, capped at 1000)',
      unit: '{order}',
    }),
  }
  const observe = (result: BatchObservableResult<Attributes>) => {
    result.observe(gauges.pollingLoops, sources.pollingLoops())
    result.observe(gauges.inquiriesActive, sources.inquiriesActive())
    result.observe(gauges.inquiriesQueued, sources.inquiriesQueued())
    const undelivered = sources.undelivered?.value
    if (undelivered !== undefined) result.observe(gauges.undelivered, undelivered)
    const attention = sources.attention.value
    if (attention !== undefined) result.observe(gauges.attention, attention)
  }
  const observables: Observable[] = Object.values(gauges)
  meter.addBatchObservableCallback(observe, observables)
  return { ...instruments, stopGauges: () => meter.removeBatchObservableCallback(observe, observables) }
}

export type Instruments = ReturnType<typeof createInstruments>
