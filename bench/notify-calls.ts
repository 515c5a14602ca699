// Diagnostic for the notify benchmark: client-side CPU per call of each way to record a first
// result, in one process on one PrismaClient (adapter-pg, pool of 10) against a fresh
// PostgreSQL database, 10 calls in flight, distinct orders, after a warm-up. CPU per call is
// process.cpuUsage() over the batch / calls: it counts only this process (Prisma's client and
// the pg driver), not PostgreSQL, so it holds on a busy machine better than req/s does.
// `npx tsx bench/notify-calls.ts` (not part of `npm run bench`).
import { randomUUID } from 'node:crypto'
import { createBenchDatabase } from './lib/database.js'
import { runBench } from './lib/lifecycle.js'
import { openPrisma } from './lib/merchant-app.js'
import { notifyBody, orderNumbers } from './lib/notify-requests.js'
import { heading, round, table } from './lib/report.js'
import { SingleStatementStore } from './lib/single-statement-store.js'
import { notifyResult, type NotifyBody } from '../src/notify/notify-body-schema.js'
import { OrderStore } from '../src/store/order-store.js'
import { digestOf } from '../src/store/recordable.js'

const CALLS = Number(process.env.BENCH_CALLS ?? 3000)
const WARM = 300
const IN_FLIGHT = 10

runBench('notify-calls', 300, async ({ defer }) => {
  const db = await createBenchDatabase()
  defer(() => db.drop())
  const { prisma, close } = await openPrisma(db.url)
  defer(close)
  const store = OrderStore.fromClient(prisma)
  const single = new SingleStatementStore(prisma)
  const input = (orderNo: string) => {
    const body = notifyBody(orderNo)
    return notifyResult(JSON.parse(body) as NotifyBody, body)
  }
  const final = (orderNo: string) => {
    const now = new Date()
    return { status: 'SUCCESS' as const, paymentId: `p${orderNo}`, resultCode: 'SUCCESS', resultMessage: 'success', resultSource: 'notify' as const, paymentTime: now, finalizedAt: now, finalEventId: randomUUID(), updatedAt: now }
  }
  const ways: Array<[string, (orderNo: string) => Promise<unknown>]> = [
    ['SingleStatementStore.recordResult (one $queryRaw)', (o) => single.recordResult(input(o))],
    ['OrderStore.recordResult', (o) => store.recordResult(input(o))],
    ['events.create, select id (the store\'s first call)', (o) => {
      const body = notifyBody(o)
      return prisma.paymentEvent.create({ data: { id: randomUUID(), orderNo: o, source: 'notify', resultStatus: 'S', resultCode: 'SUCCESS', reason: null, payload: body, digest: digestOf(body) }, select: { id: true } })
    }],
    ['orders.updateManyAndReturn, whole row (the store\'s second call)', (o) => prisma.paymentOrder.updateManyAndReturn({ where: { orderNo: o, status: 'init', amount: '100', currency: 'USD' }, data: final(o) })],
    ['orders.updateMany, count only', (o) => prisma.paymentOrder.updateMany({ where: { orderNo: o, status: 'init', amount: '100', currency: 'USD' }, data: final(o) })],
    ['$executeRaw conditional UPDATE (the minimal route\'s)', (o) => prisma.$executeRaw`UPDATE "PaymentOrder" SET "status" = 'SUCCESS', "finalizedAt" = ${new Date()}, "updatedAt" = ${new Date()} WHERE "orderNo" = ${o} AND "status" = 'init' AND "amount" = ${'100'} AND "currency" = ${'USD'}`],
    ['$queryRaw SELECT 1 (the floor of any call)', () => prisma.$queryRaw`SELECT 1`],
  ]
  const rows: Array<Array<string | number>> = [['call', 'client CPU per call (core-ms)', 'calls/s']]
  // BENCH_CALLS_ONLY=<substring>: only the ways whose label contains it (e.g. under --cpu-prof).
  const only = process.env.BENCH_CALLS_ONLY
  for (const entry of ways.filter(([l]) => !only || l.includes(only))) {
    const [label, call] = entry
    const key = `w${ways.indexOf(entry)}`
    const warm = orderNumbers(`${key}-w-`, WARM)
    const timed = orderNumbers(`${key}-m-`, CALLS)
    await db.insertOrders([...warm, ...timed])
    const runAll = async (orders: string[]) => {
      let next = 0
      await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
        for (let i = next++; i < orders.length; i = next++) await call(orders[i]!)
      }))
    }
    await runAll(warm)
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await runAll(timed)
    const cpu = process.cpuUsage(cpu0)
    const seconds = (performance.now() - t0) / 1000
    rows.push([label, round((cpu.user + cpu.system) / 1000 / CALLS, 3), round(CALLS / seconds, 0)])
  }
  heading(`notify-calls: client CPU per call, ${CALLS} calls each, ${IN_FLIGHT} in flight`)
  table(rows)
})
