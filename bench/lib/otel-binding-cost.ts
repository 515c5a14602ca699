// The plugin's own instrumentation alone, without I/O or crypto: the messages one recorded
// notification publishes (notify start/end/asyncStart/asyncEnd, the transition, the answer
// read back), handed to the OpenTelemetry binding, timed in process CPU per notification.
// Tiny beside the request itself, and steady on a busy machine where req/s are not.
import * as api from '@opentelemetry/api'
import type { FastifyBaseLogger } from 'fastify'
import { notifyChannel, OWNER, transitionChannel } from '../../src/telemetry/channels.js'
import { CachedCount } from '../../src/telemetry/cached-count.js'
import { OpenTelemetryBinding } from '../../src/telemetry/otel.js'
import { otelSdkProviders } from './otel-sdk.js'

export interface BindingCost {
  /** CPU µs per notification: nobody subscribed, the binding on the API's no-op providers, on an SDK's. */
  none: number
  api: number
  sdk: number
}

function publishNotifications(owner: object, count: number): number {
  const before = process.cpuUsage()
  for (let i = 0; i < count; i++) {
    if (!notifyChannel.hasSubscribers) {
      JSON.parse('{}')
      continue
    }
    const message: Record<string | symbol, unknown> = { [OWNER]: owner }
    notifyChannel.start.publish(message)
    notifyChannel.end.publish(message)
    const now = Date.now()
    transitionChannel.publish({ orderNo: `o-${i}`, status: 'SUCCESS', source: 'notify', createdAt: new Date(now - 5_000), finalizedAt: new Date(now), [OWNER]: owner })
    // What the onSend hook does: read the answer back from the payload.
    const answer = JSON.parse('{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}') as { result: Record<string, string> }
    Object.assign(message, { orderNo: `o-${i}`, statusCode: 200, answer: answer.result.resultStatus, resultCode: answer.result.resultCode, outcome: 'recorded' })
    notifyChannel.asyncStart.publish(message)
    notifyChannel.asyncEnd.publish(message)
  }
  const used = process.cpuUsage(before)
  return (used.user + used.system) / count
}

export async function bindingCost(count = 200_000): Promise<BindingCost> {
  const owner = {}
  const log = { warn() {} } as unknown as FastifyBaseLogger
  const gauges = { pollingLoops: () => 0, inquiriesActive: () => 0, inquiriesQueued: () => 0, undelivered: null, attention: new CachedCount(async () => 0, 30_000) }
  const sdk = otelSdkProviders()
  const withBinding = (providers: { meterProvider?: unknown; tracerProvider?: unknown }) => {
    const binding = new OpenTelemetryBinding(
      api,
      { enabled: true, required: false, meterProvider: providers.meterProvider as never, tracerProvider: providers.tracerProvider as never },
      { owners: new Set([owner]), gauges, log },
    )
    binding.start()
    try {
      return publishNotifications(owner, count)
    } finally {
      binding.close()
    }
  }
  // Twice each, keeping the second: the first warms the JIT.
  const cost: BindingCost = { none: 0, api: 0, sdk: 0 }
  for (let pass = 0; pass < 2; pass++) {
    cost.none = publishNotifications(owner, count)
    cost.api = withBinding({})
    cost.sdk = withBinding(sdk)
  }
  await sdk.shutdown()
  return cost
}
