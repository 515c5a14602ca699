// Child process of bench/wakeup.ts and bench/instances.ts: the merchant app (fastify-alipayplus,
// PostgreSQL) with awaitPaymentResult waiters. Polling ticks are 10 minutes long, so once each order's first
// inquiry has answered "in process", only a notification can resolve its waiter. Records the
// monotonic time (process.hrtime.bigint) at which each waiter's promise resolved.
import type { FastifyInstance } from 'fastify'
import type { PaymentResult } from '../../src/polling/payment-result.js'
import type { WakeupOptions } from '../../src/wakeup/wakeup-options.js'
import { sleep } from '../lib/lifecycle.js'
import type { MerchantKeyPems } from '../lib/keys.js'
import { buildMerchantApp, type MerchantApp } from '../lib/merchant-app.js'
import { AMOUNT, NOTIFY_PATH } from '../lib/notify-requests.js'
import { serveRpc } from '../lib/rpc-server.js'

const LONG_TICK_MS = 600_000

export interface Resolution {
  orderNo: string
  resolvedAt: bigint
  status: PaymentResult['status']
  source: PaymentResult['source']
  final: boolean
}

let merchant: MerchantApp | undefined
const resolutions = new Map<string, Resolution | Error>()

function appOf(): FastifyInstance {
  if (!merchant) throw new Error('not started')
  return merchant.app
}

async function start(
  input: MerchantKeyPems & { databaseUrl: string; gatewayUrl: string; wakeup?: WakeupOptions | false },
): Promise<{ notifyUrl: string }> {
  merchant = await buildMerchantApp({
    ...input,
    polling: { minTimeout: LONG_TICK_MS, maxTimeout: LONG_TICK_MS, factor: 2, randomize: false, maxRetryTime: 3 * LONG_TICK_MS },
  })
  const url = await merchant.app.listen({ port: 0, host: '127.0.0.1' })
  return { notifyUrl: `${url}${NOTIFY_PATH}` }
}

/** Creates the orders, starts one waiter per order, and resolves once every first inquiry has answered. */
async function arm(orderNos: string[]): Promise<{ inquiries: number }> {
  const app = appOf()
  const before = app.alipayplus.stats().inquiries
  for (let i = 0; i < orderNos.length; i += 16) {
    await Promise.all(orderNos.slice(i, i + 16).map((orderNo) => app.alipayplus.store.createOrder({ orderNo, amount: AMOUNT })))
  }
  for (const orderNo of orderNos) {
    app.awaitPaymentResult(orderNo).then(
      (result) => {
        resolutions.set(orderNo, { orderNo, resolvedAt: process.hrtime.bigint(), status: result.status, source: result.source, final: result.final })
      },
      (error: Error) => resolutions.set(orderNo, error),
    )
  }
  const end = Date.now() + 60_000
  while (app.alipayplus.stats().inquiries < before + orderNos.length) {
    if (Date.now() > end) throw new Error('the first inquiries did not all answer within 60 s')
    await sleep(20)
  }
  // Let the last loops reach their long wait.
  await sleep(200)
  const stats = app.alipayplus.stats()
  if (stats.activeLoops < orderNos.length) throw new Error(`only ${stats.activeLoops} polling loops are waiting`)
  return { inquiries: stats.inquiries }
}

async function collect(orderNos: string[], timeoutMs: number): Promise<{ resolutions: Resolution[]; inquiries: number; unresolved: string[] }> {
  const end = Date.now() + timeoutMs
  while (orderNos.some((orderNo) => !resolutions.has(orderNo)) && Date.now() < end) await sleep(10)
  const out: Resolution[] = []
  const unresolved: string[] = []
  for (const orderNo of orderNos) {
    const r = resolutions.get(orderNo)
    if (r === undefined || r instanceof Error) unresolved.push(orderNo)
    else out.push(r)
  }
  return { resolutions: out, inquiries: appOf().alipayplus.stats().inquiries, unresolved }
}

serveRpc(
  {
    start,
    arm,
    collect,
    now: () => process.hrtime.bigint(),
    cpuUsage: () => process.cpuUsage(),
  },
  async () => {
    await merchant?.close()
  },
)
