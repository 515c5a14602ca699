// One merchant instance of the chaos run, in its own process (forked by BenchChild, driven over
// IPC): the merchant app of bench/lib/merchant-app.ts with the plugin, listening for
// notifications, with an onPaymentResult that writes every run's start and end to an
// append-only file before and after its work, so that the parent can read every run, of every
// incarnation, after SIGKILLs. Times are process.hrtime.bigint(): one monotonic clock for all
// processes of the machine, untouched by the clock-offset preload some instances get.
// SIGTERM closes the app (the plugin's onClose) and the database, then exits 0.
import { appendFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AlipayPlusCommonOptions, PaymentResultHandler } from '../../src/index.js'
import type { MerchantKeyPems } from '../../bench/lib/keys.js'
import { buildMerchantApp, type MerchantApp } from '../../bench/lib/merchant-app.js'
import { NOTIFY_PATH } from '../../bench/lib/notify-requests.js'
import { serveRpc } from '../../bench/lib/rpc-server.js'

export interface InstanceConfig extends MerchantKeyPems {
  /** A, B, C: names the instance in the run log (its pid names the incarnation). */
  instance: string
  databaseUrl: string
  gatewayUrl: string
  /** The durable run log of this instance, appended to by every incarnation. */
  runLog: string
  /** How long one handler run works, drawn uniformly. */
  handlerMs: [number, number]
  /** The plugin's options on top of bench/lib/merchant-app.ts's (clientId, wakeup, delivery...). */
  plugin: Partial<AlipayPlusCommonOptions>
}

/** One line of the run log. `t` is process.hrtime.bigint() in ns, as a decimal string. */
export interface RunLine {
  ev: 'start' | 'end' | 'aborted'
  orderNo: string
  status: string
  attempt: number
  key: string
  instance: string
  pid: number
  t: string
}

let merchant: MerchantApp | undefined
const waiterErrors: Record<string, number> = {}

function handlerFor(config: InstanceConfig): PaymentResultHandler {
  const write = (line: Omit<RunLine, 't' | 'instance' | 'pid'>) =>
    // Synchronous: once written, the line is in the kernel and survives a SIGKILL of this process.
    appendFileSync(config.runLog, `${JSON.stringify({ ...line, instance: config.instance, pid: process.pid, t: String(process.hrtime.bigint()) })}\n`)
  const [min, max] = config.handlerMs
  return async (result, context) => {
    const run = { orderNo: result.orderNo, status: result.status, attempt: context.attempt, key: context.idempotencyKey }
    write({ ev: 'start', ...run })
    try {
      await sleep(min + Math.random() * (max - min), undefined, { signal: context.signal })
    } catch (error) {
      write({ ev: 'aborted', ...run })
      throw error
    }
    write({ ev: 'end', ...run })
  }
}

async function start(config: InstanceConfig): Promise<{ notifyUrl: string; pid: number }> {
  merchant = await buildMerchantApp({
    databaseUrl: config.databaseUrl,
    merchantPrivatePem: config.merchantPrivatePem,
    alipayPublicPem: config.alipayPublicPem,
    gatewayUrl: config.gatewayUrl,
    ...config.plugin,
    onPaymentResult: handlerFor(config),
  })
  const url = await merchant.app.listen({ port: 0, host: '127.0.0.1' })
  return { notifyUrl: `${url}${NOTIFY_PATH}`, pid: process.pid }
}

/** A checkout's wait for each order, as the merchant's route would hold it; not awaited here. */
function awaitOrders(orderNos: string[]): void {
  const app = merchant!.app
  for (const orderNo of orderNos) {
    app.awaitPaymentResult(orderNo).catch((error: { code?: string }) => {
      const code = error.code ?? 'other'
      waiterErrors[code] = (waiterErrors[code] ?? 0) + 1
    })
  }
}

let closing: Promise<void> | undefined
const close = () => (closing ??= merchant?.close() ?? Promise.resolve())

// A deploy's stop: close everything, then leave. The parent times it from the signal to the exit.
process.once('SIGTERM', () => {
  void close().finally(() => process.exit(0))
})

serveRpc(
  {
    start,
    awaitOrders,
    waiterErrors: () => ({ ...waiterErrors }),
  },
  close,
)
