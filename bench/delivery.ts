// Benchmark "delivery": how long after an order becomes final does onPaymentResult start?
// The merchant app (fastify-alipayplus on PostgreSQL, onPaymentResult that only takes the time,
// delivery defaults) runs in a child process; this process sends one pre-signed notifyPayment
// per order over HTTP, first at a steady rate, then as a burst (all due at once, 64 sockets).
// Latency = handler start - the transition's commit, both taken in the app process on one
// monotonic clock (bench/servers/delivery-app.ts): the commit is the moment the store reports
// the transition durable, which is also the moment the delivery is handed the order, so the
// figure is the delivery's own path (claim, read, hand over), queueing included. The
// finalizedAt column is reported beside it as a cross-check: it is the app's wall clock just
// before the transition's UPDATE is sent (so it adds that UPDATE's round trip) in whole
// milliseconds. Exactly once is read from the database (deliveredAt, deliveryAttempts) and from
// the handler's own count of runs.
import { CpuMeter, type CpuSplit, cpuMicros, waitForQuiet } from './lib/cpu.js'
import { cpuJson, cpuTable, summaryJson } from './lib/phase-report.js'
import { nsToMs } from './lib/http-post.js'
import { startChildMerchant } from './lib/child-merchant.js'
import { runBench } from './lib/lifecycle.js'
import { orderNumbers, presignNotifications } from './lib/notify-requests.js'
import { pacedLoad } from './lib/paced.js'
import { benchResult, heading, note, summarize, type Summary, table, verdict, type Verdict } from './lib/report.js'
import type { DeliveryTimes } from './servers/delivery-app.js'

const TARGET_P99_MS = 100
// A steady stream at about half of what the notify route sustains on this machine (each
// transition now also costs the delivery's claim, read and mark), then a burst: every
// notification due at once, which queues behind the delivery's 8 handler slots.
const PHASES = [
  { name: 'steady', label: 'steady, 100 notifications/s', rate: 100, orders: 1_500 },
  { name: 'burst', label: 'burst of 500 at once', rate: Number.POSITIVE_INFINITY, orders: 500 },
] as const

interface PhaseResult {
  name: string
  label: string
  orders: number
  /** From the first notification due to the last answer. */
  sendSeconds: number
  commitToStart: Summary
  finalizedAtToStart: Summary
  exactlyOnce: number
  runs: number
  notRun: number
  non200: number
  cpu: CpuSplit
}

interface DeliveryRow {
  orderNo: string
  finalized_ms: number | null
  delivered: boolean
  attempts: number
}

runBench('delivery', 240, async ({ defer }) => {
  heading('delivery: transition -> onPaymentResult start, PostgreSQL, real HTTP')
  const { keys, db, child, notifyUrl } = await startChildMerchant('servers/delivery-app.ts', 'delivery-app', defer)

  const results: PhaseResult[] = []
  for (const phase of PHASES) {
    const prefix = `deliv-${phase.name}-`
    const orderNos = orderNumbers(prefix, phase.orders)
    await db.insertOrders(orderNos)
    const requests = await presignNotifications(orderNos, keys.alipay.privateKey)
    await waitForQuiet(10_000)
    const app0 = await child.call<NodeJS.CpuUsage>('cpuUsage')
    const meter = new CpuMeter()
    const load = await pacedLoad(new URL(notifyUrl), requests, phase.rate)
    const times = await child.call<DeliveryTimes[]>('collect', orderNos, 30_000)
    const cpu = meter.stop(cpuMicros(await child.call<NodeJS.CpuUsage>('cpuUsage')) - cpuMicros(app0))
    const { rows } = await db.sql.query<DeliveryRow>(
      `SELECT "orderNo", extract(epoch FROM "finalizedAt") * 1000 AS finalized_ms, "deliveredAt" IS NOT NULL AS delivered, "deliveryAttempts" AS attempts
       FROM "PaymentOrder" WHERE "orderNo" LIKE $1`,
      [`${prefix}%`],
    )
    const byOrder = new Map(rows.map((row) => [row.orderNo, row]))

    const commitToStart: number[] = []
    const finalizedAtToStart: number[] = []
    let exactlyOnce = 0
    for (const t of times) {
      const row = byOrder.get(t.orderNo)
      if (t.committedAt !== null && t.startedAt.length > 0) commitToStart.push(nsToMs(t.startedAt[0]! - t.committedAt))
      if (row?.finalized_ms != null && t.startedWallMs !== null) finalizedAtToStart.push(t.startedWallMs - Number(row.finalized_ms))
      if (t.startedAt.length === 1 && row?.delivered === true && row.attempts === 1) exactlyOnce++
    }
    results.push({
      name: phase.name,
      label: phase.label,
      orders: phase.orders,
      sendSeconds: load.seconds,
      commitToStart: summarize(commitToStart),
      finalizedAtToStart: summarize(finalizedAtToStart),
      exactlyOnce,
      runs: times.reduce((n, t) => n + t.startedAt.length, 0),
      notRun: times.filter((t) => t.startedAt.length === 0).length,
      non200: load.non200 + load.errors,
      cpu,
    })
  }

  heading('Delivery latency (ms)')
  const rows: Array<Array<string | number>> = [['measure', 'phase', 'n', 'p50', 'p95', 'p99', 'max', 'mean']]
  for (const r of results) {
    for (const [measure, s] of [['commit -> handler start', r.commitToStart], ['finalizedAt -> handler start', r.finalizedAtToStart]] as const) {
      rows.push([measure, r.label, s.n, s.p50, s.p95, s.p99, s.max, s.mean])
    }
  }
  table(rows)
  note('finalizedAt -> start: wall clock, ms resolution, includes the transition UPDATE round trip (cross-check only).')
  table([
    ['phase', 'orders', 'sent in (s)', 'delivered exactly once', 'handler runs', 'never run', 'non-200 answers'],
    ...results.map((r) => [r.label, r.orders, r.sendSeconds, r.exactlyOnce, r.runs, r.notRun, r.non200]),
  ])
  cpuTable(results)

  heading('Targets')
  const steady = results[0]!
  const verdicts: Verdict[] = [verdict(`delivery p99 (commit -> handler start), ${steady.label}, fast handler`, steady.commitToStart.p99, '<=', TARGET_P99_MS, ' ms')]
  const checks: Verdict[] = results.map((r) => verdict(`check: every order delivered exactly once, ${r.label}`, r.exactlyOnce, '>=', r.orders))
  note('The burst has no latency target: its figures say how long 500 results queue for 8 handler slots.')

  benchResult('delivery', {
    phases: results.map((r) => ({
      name: r.name,
      orders: r.orders,
      sendSeconds: r.sendSeconds,
      commitToStartMs: summaryJson(r.commitToStart),
      finalizedAtToStartMs: summaryJson(r.finalizedAtToStart),
      exactlyOnce: r.exactlyOnce,
      handlerRuns: r.runs,
      neverRun: r.notRun,
      non200: r.non200,
      cpuCores: cpuJson(r.cpu),
    })),
    targets: verdicts,
    checks,
  })
})
