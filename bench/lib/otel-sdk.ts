// The OpenTelemetry SDK as a production application registers it, globally: a MeterProvider
// whose reader collects every second (to memory, as an exporter would), a TracerProvider
// batching spans to an exporter that drops them, and the AsyncLocalStorage context manager.
import { context, metrics, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base'

const dropSpans: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
}

/** An SDK's providers, not registered: for an application that passes them to the plugin. */
export function otelSdkProviders(): { meterProvider: MeterProvider; tracerProvider: BasicTracerProvider; shutdown(): Promise<void> } {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 1_000 })] })
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropSpans)] })
  return {
    meterProvider,
    tracerProvider,
    shutdown: async () => {
      await Promise.all([meterProvider.shutdown(), tracerProvider.shutdown()])
    },
  }
}

/** The context manager the Node.js SDK registers (AsyncLocalStorage, on async hooks in Node.js 20), alone. */
export function registerContextManager(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
}

export function registerOtelSdk(): () => Promise<void> {
  registerContextManager()
  const { meterProvider, tracerProvider, shutdown } = otelSdkProviders()
  metrics.setGlobalMeterProvider(meterProvider)
  trace.setGlobalTracerProvider(tracerProvider)
  return shutdown
}
