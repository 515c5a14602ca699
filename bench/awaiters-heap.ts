// What one waiting order holds, independent of the machine's load: N awaitPaymentResult calls
// against a gateway that accepts every inquiry and never answers, so every order stays waiting
// (16 in flight, the others waiting for their turn); the heap that survives a full collection is
// read before the first waiter and once all N are polled. Run directly, not by bench/index.ts:
//   node --expose-gc --import tsx bench/awaiters-heap.ts          # BENCH_AWAITERS=10000 by default
// PostgreSQL as in the other benchmarks (BENCH_PG_ADMIN_URL); the plugin from src/ under tsx.
// BENCH_HEAP_SNAPSHOTS=<dir> also writes a heap snapshot before and during, to compare.
import { createServer } from 'node:http'
import { join } from 'node:path'
import { writeHeapSnapshot } from 'node:v8'
import { PrismaClient } from '../generated/prisma/client.js'
import { openDatabase } from '../src/migrate.js'
import { createMerchantApp } from '../test/helpers/merchant-app.js'
import { createBenchDatabase } from './lib/database.js'
import { generateBenchKeys, merchantPems } from './lib/keys.js'
import { orderNumbers } from './lib/notify-requests.js'

const ORDERS = Number(process.env.BENCH_AWAITERS ?? 10_000)
const SNAPSHOTS = process.env.BENCH_HEAP_SNAPSHOTS
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')
const liveHeap = () => {
  gc()
  return process.memoryUsage().heapUsed
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const pems = merchantPems(await generateBenchKeys())
const db = await createBenchDatabase()
// Accepts each inquiry and never answers (requestTimeoutMs is set beyond the measurement).
const silentGateway = createServer(() => {})
await new Promise<void>((resolve) => silentGateway.listen(0, '127.0.0.1', resolve))
const orderNos = orderNumbers('heap-', ORDERS)
await db.insertOrders(orderNos)
const opened = await openDatabase({ PrismaClient, databaseUrl: db.url, migrate: false })
const app = await createMerchantApp({
  prisma: opened.prisma,
  privateKey: pems.merchantPrivatePem,
  alipayPublicKey: pems.alipayPublicPem,
  gatewayUrl: `http://127.0.0.1:${(silentGateway.address() as { port: number }).port}`,
  polling: { minTimeoutMs: 250, maxTimeoutMs: 2_000, factor: 2, randomize: false, maxRetryTimeMs: 180_000 },
  maxInquiriesPerSecond: 1_000,
  requestTimeoutMs: 120_000,
})
await app.alipayplus.store.getOrder(orderNos[0]!)

const before = liveHeap()
if (SNAPSHOTS) writeHeapSnapshot(join(SNAPSHOTS, 'before.heapsnapshot'))
const waits = orderNos.map((orderNo) => app.awaitPaymentResult(orderNo).catch(() => undefined))
while (app.alipayplus.stats().activeLoops < ORDERS) await sleep(100)
// Every order has had its first tick (in flight, or parked for its turn).
await sleep(3_000)
const waiting = liveHeap()
if (SNAPSHOTS) writeHeapSnapshot(join(SNAPSHOTS, 'waiting.heapsnapshot'))
const MB = 1024 * 1024
console.log(
  JSON.stringify({
    orders: ORDERS,
    polled: app.alipayplus.stats().activeLoops,
    liveHeapMb: { before: Math.round((before / MB) * 10) / 10, waiting: Math.round((waiting / MB) * 10) / 10 },
    bytesPerWaitingOrder: Math.round((waiting - before) / ORDERS),
  }),
)
silentGateway.closeAllConnections()
await app.close()
await Promise.all(waits)
await opened.close()
silentGateway.close()
await db.drop()
