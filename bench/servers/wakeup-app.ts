// Child process of bench/wakeup.ts, bench/instances.ts and bench/leases.ts: the merchant app
// (fastify-alipayplus, PostgreSQL) with awaitPaymentResult waiters. Polling ticks are 10 minutes
// long (schedule 'long'), so once each order's first inquiry has answered "in process", only a
// notification can resolve its waiter; with schedule 'default' the plugin's own schedule runs.
// Records the monotonic time (process.hrtime.bigint) at which each waiter's promise resolved and,
// with recordAttempts, every polling tick that did not end in a final result, read from the
// plugin's own debug log line (nothing of the plugin is wrapped): an inquiry, or a claim refused
// because another instance holds the order's lease.
import type { FastifyInstance } from 'fastify'
import type { ReconcileOptions } from '../../src/options.js'
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

/** One polling tick of this instance that found no final result. */
export interface Attempt {
  orderNo: string
  /** Date.now() when the tick ended. */
  at: number
  /** false: the lease claim was refused (another instance holds it), no inquiry made. */
  inquired: boolean
}

// The poller's debug line for a tick that found no final result, and its reason when the
// lease claim was refused (src/polling/payment-poller.ts).
const NOT_FINAL_MSG = 'alipayplus: no final result yet'
const LEASE_REFUSED_WHY = 'another instance holds the polling lease'

let merchant: MerchantApp | undefined
const resolutions = new Map<string, Resolution | Error>()
const attempts: Attempt[] = []

/** A pino destination that keeps the poller's tick lines and passes warnings and errors on to stderr. */
const attemptStream = {
  write(line: string): void {
    const entry = JSON.parse(line) as { level: number; time: number; msg?: string; orderNo?: string; why?: string }
    if (entry.msg === NOT_FINAL_MSG && entry.orderNo !== undefined) {
      attempts.push({ orderNo: entry.orderNo, at: entry.time, inquired: entry.why !== LEASE_REFUSED_WHY })
    } else if (entry.level >= 40) process.stderr.write(line)
  },
}

function appOf(): FastifyInstance {
  if (!merchant) throw new Error('not started')
  return merchant.app
}

async function start(
  input: MerchantKeyPems & {
    databaseUrl: string
    gatewayUrl: string
    wakeup?: WakeupOptions | false
    schedule?: 'long' | 'default'
    reconcile?: ReconcileOptions | false
    recordAttempts?: boolean
  },
): Promise<{ notifyUrl: string }> {
  const { schedule = 'long', recordAttempts = false, ...options } = input
  merchant = await buildMerchantApp({
    ...options,
    ...(schedule === 'long' && {
      polling: { minTimeoutMs: LONG_TICK_MS, maxTimeoutMs: LONG_TICK_MS, factor: 2, randomize: false, maxRetryTimeMs: 3 * LONG_TICK_MS },
    }),
    ...(recordAttempts && { logger: { level: 'debug', stream: attemptStream } }),
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
    /** Closes the app (its loops end, its leases are let go) and returns what it did. */
    finish: async () => {
      const app = appOf()
      await merchant!.close()
      merchant = undefined
      return { stats: app.alipayplus.stats(), attempts }
    },
    now: () => process.hrtime.bigint(),
    cpuUsage: () => process.cpuUsage(),
  },
  async () => {
    await merchant?.close()
  },
)
