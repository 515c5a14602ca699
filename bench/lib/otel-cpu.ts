// The CPU each notification costs the merchant process, three plugin instances in this one
// process (OpenTelemetry off, the API without an SDK, an SDK's providers given), fed in small
// batches by turns through app.inject: the batches of the three interleave within a second,
// so that what else runs on the machine weighs on all three alike, which req/s runs on a busy
// machine cannot give. process.cpuUsage() counts every thread (the RSA work on libuv's pool too).
import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import type { NotifyDatabase } from './database.js'
import { type BenchKeys, merchantPems } from './keys.js'
import { buildMerchantApp, type MerchantApp } from './merchant-app.js'
import { NOTIFY_PATH, orderNumbers, presignNotifications } from './notify-requests.js'
import { otelSdkProviders } from './otel-sdk.js'

export const CPU_VARIANTS = ['off', 'api', 'sdk'] as const
export type CpuVariant = (typeof CPU_VARIANTS)[number]

export interface CpuFigures {
  requests: number
  cpuMsPerRequest: number
}

/** Batches of each run first and not counted: the JIT and the pools warm up on them. */
const WARM_BATCHES = 4

export async function interleavedCpu(db: NotifyDatabase, keys: BenchKeys, batches: number, batchSize: number): Promise<Record<CpuVariant, CpuFigures>> {
  // Registered as the Node.js SDK does; the "api" instance runs with it too (its providers stay the no-op globals).
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  const sdk = otelSdkProviders()
  const options: Record<CpuVariant, object> = {
    off: { openTelemetry: { enabled: false } },
    api: {},
    sdk: { openTelemetry: { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider } },
  }
  const apps = {} as Record<CpuVariant, MerchantApp>
  const requests = {} as Record<CpuVariant, Awaited<ReturnType<typeof presignNotifications>>>
  const rows = db.rows(undefined as never)
  try {
    for (const variant of CPU_VARIANTS) {
      apps[variant] = await buildMerchantApp({ ...db.location, ...merchantPems(keys), gatewayUrl: 'http://127.0.0.1:9', ...options[variant] })
      const orderNos = orderNumbers(`cpu-${variant}-`, (WARM_BATCHES + batches) * batchSize)
      await rows.insertOrders(orderNos)
      requests[variant] = await presignNotifications(orderNos, keys.alipay.privateKey)
    }
    const totals = Object.fromEntries(CPU_VARIANTS.map((v) => [v, { requests: 0, micros: 0 }])) as Record<CpuVariant, { requests: number; micros: number }>
    for (let batch = 0; batch < WARM_BATCHES + batches; batch++) {
      // A different one first in each batch, so that none always follows the same one.
      for (let i = 0; i < CPU_VARIANTS.length; i++) {
        const variant = CPU_VARIANTS[(batch + i) % CPU_VARIANTS.length]!
        const slice = requests[variant].slice(batch * batchSize, (batch + 1) * batchSize)
        const before = process.cpuUsage()
        const answers = await Promise.all(
          slice.map((r) => apps[variant].app.inject({ method: 'POST', url: NOTIFY_PATH, headers: r.headers, payload: r.body })),
        )
        const used = process.cpuUsage(before)
        const failed = answers.filter((answer) => answer.statusCode !== 200).length
        if (failed > 0) throw new Error(`${failed} notifications not acknowledged (${variant})`)
        if (batch < WARM_BATCHES) continue
        totals[variant].requests += slice.length
        totals[variant].micros += used.user + used.system
      }
    }
    return Object.fromEntries(
      CPU_VARIANTS.map((v) => [v, { requests: totals[v].requests, cpuMsPerRequest: totals[v].micros / 1000 / totals[v].requests }]),
    ) as Record<CpuVariant, CpuFigures>
  } finally {
    for (const variant of CPU_VARIANTS) await apps[variant]?.close()
    await sdk.shutdown()
  }
}
