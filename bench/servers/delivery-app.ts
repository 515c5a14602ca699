// Child process of bench/delivery.ts: the merchant app (fastify-alipayplus, PostgreSQL) with an
// onPaymentResult that only takes the time. Both ends of the latency are taken here, on one
// clock (process.hrtime.bigint):
//   committed  when the store's onFinalized listener is told: the transition's UPDATE has
//              returned, so it is durable, and the delivery has just been handed the order
//              (the plugin's listener was added first and runs first);
//   started    the first statement of the handler.
// The handler start is also taken on the wall clock (performance.timeOrigin + now), to compare
// with the finalizedAt column the app wrote (see bench/delivery.ts).
import type { PaymentResultHandler } from '../../src/index.js'
import type { MerchantKeyPems } from '../lib/keys.js'
import { buildMerchantApp, type MerchantApp } from '../lib/merchant-app.js'
import { NOTIFY_PATH } from '../lib/notify-requests.js'
import { sleep } from '../lib/lifecycle.js'
import { serveRpc } from '../lib/rpc-server.js'

export interface DeliveryTimes {
  orderNo: string
  committedAt: bigint | null
  /** Every handler run's start: one, if delivered exactly once. */
  startedAt: bigint[]
  /** Wall clock at the first run's start, ms since the epoch (sub-millisecond). */
  startedWallMs: number | null
}

let merchant: MerchantApp | undefined
const committed = new Map<string, bigint>()
const starts = new Map<string, { at: bigint[]; wallMs: number }>()

// Fast and synchronous apart from the promise: what is measured is the plugin's path to it.
const handler: PaymentResultHandler = (result) => {
  const at = process.hrtime.bigint()
  const seen = starts.get(result.orderNo)
  if (seen) seen.at.push(at)
  else starts.set(result.orderNo, { at: [at], wallMs: performance.timeOrigin + performance.now() })
}

async function start(input: MerchantKeyPems & { databaseUrl: string; gatewayUrl: string }): Promise<{ notifyUrl: string }> {
  // The delivery's defaults (8 handlers at once, a sweep every 10 s): only the immediate path
  // can be fast enough; a result left to the sweep shows up in the maximum.
  merchant = await buildMerchantApp({ ...input, onPaymentResult: handler })
  merchant.app.alipayplus.store.onFinalized((order) => committed.set(order.orderNo, process.hrtime.bigint()))
  const url = await merchant.app.listen({ port: 0, host: '127.0.0.1' })
  return { notifyUrl: `${url}${NOTIFY_PATH}` }
}

/** The times of the orders, once every committed one has run (or timeoutMs has passed). */
async function collect(orderNos: string[], timeoutMs: number): Promise<DeliveryTimes[]> {
  const end = Date.now() + timeoutMs
  const pending = () => orderNos.some((orderNo) => committed.has(orderNo) && !starts.has(orderNo))
  while (pending() && Date.now() < end) await sleep(10)
  // A little longer: a second run of a delivered result would show up now.
  await sleep(500)
  return orderNos.map((orderNo) => {
    const run = starts.get(orderNo)
    return { orderNo, committedAt: committed.get(orderNo) ?? null, startedAt: run?.at ?? [], startedWallMs: run?.wallMs ?? null }
  })
}

serveRpc(
  {
    start,
    collect,
    cpuUsage: () => process.cpuUsage(),
  },
  async () => {
    await merchant?.close()
  },
)
