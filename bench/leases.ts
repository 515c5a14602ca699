// Benchmark "leases": with the DEFAULT polling schedule, leaseMarginMs and reconcile options, do two
// instances on one database ever inquire about the same order? Two merchant processes A and B
// (bench/servers/wakeup-app.ts) on one fresh PostgreSQL database, the Alipay+ simulator in this
// process; no payment completes during the run, so every inquiry answers "in process" and every
// loop runs on for the whole run (its window, 10 minutes, is longer than the run).
//   awaited  orders A creates and awaits (awaitPaymentResult, default window); B awaits none,
//            so B's reconciler is the only way B could inquire about them: it must never.
//   old      orders created 10 minutes "ago" (createdAt set back in the database) before A and B
//            start, awaited by nobody: both reconcilers' first passes compete for them.
// Who inquired about what: each instance's own debug log line for a tick without a final result
// (an inquiry, or a claim refused by the other's lease); when: the simulator's arrival log.
// Since no loop ends during the run, every inquiry of an order by the instance that was not the
// first to inquire about it is a duplicate; so is any gap between two inquiries of one order
// shorter than the schedule's shortest wait (polling.minTimeoutMs, 4 s).
import { loadavg } from 'node:os'
import { startBenchWorld, startMerchantChild } from './lib/child-merchant.js'
import { CpuMeter, cpuMicros } from './lib/cpu.js'
import { runBench, sleep } from './lib/lifecycle.js'
import { AMOUNT, orderNumbers } from './lib/notify-requests.js'
import { benchResult, heading, note, round, summarize, table, verdict, type Verdict } from './lib/report.js'
import type { PollerStats } from '../src/polling/payment-poller.js'
import type { Attempt } from './servers/wakeup-app.js'

const AWAITED = 100
const OLD = 50
/** After the awaited orders' first inquiries: covers the ticks at 0, 4, 12, 28, 60, 120, 180, 240 s. */
const RUN_MS = 250_000
const MIN_GAP_MS = 4_000
const SCHEDULE_S = [0, 4, 12, 28, 60, 120, 180, 240]
const INSTANCES = ['A', 'B'] as const
type Instance = (typeof INSTANCES)[number]
const GROUPS = [
  { name: 'awaited', prefix: 'lease-await-', label: `awaited on A (${AWAITED})` },
  { name: 'old', prefix: 'lease-old-', label: `old, awaited by nobody (${OLD})` },
] as const

interface OrderLog {
  inquiries: Record<Instance, number[]>
  refused: Record<Instance, number>
  /** Arrival times at the simulator, all instances. */
  arrivals: number[]
}

/** Most elements of an ascending array in any half-open window [t, t + width). */
function maxInWindow(sorted: number[], width: number): number {
  let most = 0
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while (sorted[j]! - sorted[i]! >= width) i++
    most = Math.max(most, j - i + 1)
  }
  return most
}

runBench('leases', 480, async ({ defer }) => {
  heading('leases: two instances, default schedule, leaseMarginMs and reconcile: duplicate inquiries')
  const world = await startBenchWorld(defer)
  const { db, sim } = world
  const awaited = orderNumbers(GROUPS[0].prefix, AWAITED)
  const old = orderNumbers(GROUPS[1].prefix, OLD)
  for (const orderNo of [...awaited, ...old]) sim.createPayment({ paymentRequestId: orderNo, amount: AMOUNT })
  await db.insertOrders(old)
  await db.sql.query(`UPDATE "PaymentOrder" SET "createdAt" = now() - interval '10 minutes' WHERE "orderNo" = ANY($1)`, [old])

  const options = { schedule: 'default', reconcile: {}, recordAttempts: true }
  const [a, b] = await Promise.all(INSTANCES.map((name) => startMerchantChild(world, 'servers/wakeup-app.ts', name, defer, options)))
  const children = { A: a!.child, B: b!.child }
  const meter = new CpuMeter()
  const load0 = loadavg()[0]!
  const appsCpu0 = cpuMicros(await children.A.call('cpuUsage')) + cpuMicros(await children.B.call('cpuUsage'))

  const t0 = Date.now()
  await children.A.call('arm', awaited)
  note(`awaited orders armed on A in ${((Date.now() - t0) / 1000).toFixed(1)} s; running ${RUN_MS / 1000} s from their creation`)
  while (Date.now() - t0 < RUN_MS) {
    await sleep(Math.min(30_000, RUN_MS - (Date.now() - t0)))
    const [onA, onB] = await Promise.all([children.A.call<{ inquiries: number }>('collect', [], 0), children.B.call<{ inquiries: number }>('collect', [], 0)])
    note(`t=${((Date.now() - t0) / 1000).toFixed(0)} s: inquiries A ${onA.inquiries}, B ${onB.inquiries}`)
  }
  const appsCpu = cpuMicros(await children.A.call('cpuUsage')) + cpuMicros(await children.B.call('cpuUsage')) - appsCpu0
  const cpu = meter.stop(appsCpu)
  const load1 = loadavg()[0]!
  // Both at once: A letting its leases go cannot hand an order to a B that is still polling.
  const [doneA, doneB] = await Promise.all(INSTANCES.map((name) => children[name].call<{ stats: PollerStats; attempts: Attempt[] }>('finish')))
  const done = { A: doneA!, B: doneB! }
  const simStats = sim.stats().inquiries

  const orders = new Map<string, OrderLog>()
  for (const orderNo of [...awaited, ...old]) orders.set(orderNo, { inquiries: { A: [], B: [] }, refused: { A: 0, B: 0 }, arrivals: [] })
  for (const name of INSTANCES) {
    for (const attempt of done[name].attempts) {
      const log = orders.get(attempt.orderNo)!
      if (attempt.inquired) log.inquiries[name].push(attempt.at)
      else log.refused[name]++
    }
  }
  for (const arrival of sim.inquiryArrivals()) orders.get(arrival.paymentRequestId)!.arrivals.push(arrival.at)

  const groups = GROUPS.map((group) => {
    const logs = [...orders].filter(([orderNo]) => orderNo.startsWith(group.prefix)).map(([, log]) => log)
    const by = (name: Instance) => ({
      inquiries: logs.reduce((n, log) => n + log.inquiries[name].length, 0),
      orders: logs.filter((log) => log.inquiries[name].length > 0).length,
      refused: logs.reduce((n, log) => n + log.refused[name], 0),
    })
    let duplicates = 0
    let both = 0
    let overlapping = 0
    for (const { inquiries: { A: ia, B: ib } } of logs) {
      if (ia.length === 0 || ib.length === 0) continue
      both++
      if (Math.max(ia[0]!, ib[0]!) <= Math.min(ia.at(-1)!, ib.at(-1)!)) overlapping++
      duplicates += ia[0]! <= ib[0]! ? ib.length : ia.length
    }
    const gaps = logs.flatMap((log) => log.arrivals.slice(1).map((at, i) => at - log.arrivals[i]!))
    const perOrder = logs.map((log) => log.arrivals.length)
    return {
      ...group,
      A: by('A'),
      B: by('B'),
      both,
      overlapping,
      duplicates,
      shortGaps: gaps.filter((gap) => gap < MIN_GAP_MS).length,
      minGapS: Math.min(...gaps) / 1000,
      maxIn4s: Math.max(...logs.map((log) => maxInWindow(log.arrivals, MIN_GAP_MS))),
      perOrder: { min: Math.min(...perOrder), max: Math.max(...perOrder) },
      attributionMismatches: logs.filter((log) => log.arrivals.length !== log.inquiries.A.length + log.inquiries.B.length).length,
    }
  })

  heading('Inquiries by instance (attributed from each instance\'s own tick log)')
  table([
    ['group', 'instance', 'inquiries', 'orders inquired', 'claims refused by lease', 'loops started (all groups)', 'stats().inquiries (all groups)'],
    ...groups.flatMap((g) => INSTANCES.map((name) => [g.label, name, g[name].inquiries, g[name].orders, g[name].refused, done[name].stats.loopsStarted, done[name].stats.inquiries])),
  ])
  heading('Duplicates by group')
  table([
    ['group', 'inquiries (simulator)', 'per order min-max', 'orders inquired by both', 'in overlapping windows', 'duplicate inquiries', `gaps < ${MIN_GAP_MS / 1000} s`, 'shortest gap (s)', `most in any ${MIN_GAP_MS / 1000} s`],
    ...groups.map((g) => [g.label, g.A.inquiries + g.B.inquiries, `${g.perOrder.min}-${g.perOrder.max}`, g.both, g.overlapping, g.duplicates, g.shortGaps, round(g.minGapS, 3), g.maxIn4s]),
  ])
  // When the awaited orders' k-th inquiries came, against the schedule's ticks.
  const awaitedLogs = awaited.map((orderNo) => orders.get(orderNo)!.arrivals)
  const tickRows = SCHEDULE_S.map((tick, k) => {
    const times = summarize(awaitedLogs.filter((arrivals) => arrivals.length > k).map((arrivals) => (arrivals[k]! - t0) / 1000))
    return [`${k + 1}`, tick, times.n, round(times.p50, 1), round(times.max, 1)]
  })
  heading('Awaited orders: the k-th inquiry, seconds after they were created')
  table([['k', 'schedule (s)', 'orders', 'p50 (s)', 'max (s)'], ...tickRows])
  const total = groups.reduce((n, g) => n + g.A.inquiries + g.B.inquiries, 0)
  note(`simulator received ${simStats.received} inquiries; attributed ${total}; orders whose count differs: ${groups.reduce((n, g) => n + g.attributionMismatches, 0)}`)
  note(`reconcile: intervalMs 60000, minAgeMs 60000 on both (defaults): passes at start and every 60 s, ${Math.floor(RUN_MS / 60_000) + 1} per instance`)
  note(`machine: ${round(cpu.machine)} cores busy on average (apps ${round(cpu.server)}, PostgreSQL ${round(cpu.postgres)}, bench ${round(cpu.self)}, other ${round(cpu.other)}); load average ${round(load0)} -> ${round(load1)}`)

  heading('Targets')
  const [awaitedGroup, oldGroup] = groups as [(typeof groups)[0], (typeof groups)[0]]
  const duplicates = groups.reduce((n, g) => n + g.duplicates + g.shortGaps, 0)
  const targets: Verdict[] = [
    verdict('duplicate inquiries, default schedule, two instances', duplicates, '<=', 0),
    verdict('inquiries by B for orders A awaits', awaitedGroup.B.inquiries, '<=', 0),
  ]
  const checks: Verdict[] = [
    verdict(`check: most inquiries of one order in any ${MIN_GAP_MS / 1000} s`, Math.max(...groups.map((g) => g.maxIn4s)), '<=', 1),
    verdict('check: old orders polled by both instances at once', oldGroup.overlapping, '<=', 0),
    verdict('check: awaited orders reached the tick at 180 s (7 inquiries each)', awaitedGroup.perOrder.min, '>=', 7),
    verdict('check: orders whose inquiries by A and B do not add up to the simulator\'s count', groups.reduce((n, g) => n + g.attributionMismatches, 0), '<=', 0),
  ]
  benchResult('leases', {
    runSeconds: RUN_MS / 1000,
    orders: { awaited: AWAITED, old: OLD },
    groups: groups.map((g) => ({
      name: g.name,
      inquiries: { A: g.A.inquiries, B: g.B.inquiries },
      ordersInquired: { A: g.A.orders, B: g.B.orders },
      claimsRefused: { A: g.A.refused, B: g.B.refused },
      ordersInquiredByBoth: g.both,
      overlapping: g.overlapping,
      duplicates: g.duplicates,
      shortGaps: g.shortGaps,
      minGapSeconds: round(g.minGapS, 3),
      maxIn4s: g.maxIn4s,
      perOrder: g.perOrder,
    })),
    awaitedTicksP50Seconds: tickRows.map((row) => row[3]),
    simulatorReceived: simStats.received,
    loopsStarted: { A: done.A.stats.loopsStarted, B: done.B.stats.loopsStarted },
    cores: { machine: round(cpu.machine), apps: round(cpu.server), postgres: round(cpu.postgres), other: round(cpu.other) },
    loadAverage: [round(load0), round(load1)],
    targets,
    checks,
  })
})
