// Benchmark "instances": how long after a notification answered by instance B does a waiter on
// instance A resolve? Two merchant processes (bench/servers/wakeup-app.ts) on one PostgreSQL
// database, as behind a load balancer. A holds one awaitPaymentResult per order, each past its
// first inquiry ("in process") and asleep for 10 minutes; B holds none. This process sends one
// pre-signed notification per order to B and takes the time just before each request goes to
// the socket; A takes the time its waiter resolved. Both are process.hrtime.bigint(), one
// monotonic clock for all processes (checked). Each wake-up channel gets fresh A and B:
// PostgreSQL LISTEN/NOTIFY, Redis pub/sub (the channel for MySQL and SQLite; its database here
// is still PostgreSQL, since the channel is what is measured), and the default database poll.
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import type { WakeupOptions } from '../src/wakeup/wakeup-options.js'
import { startBenchWorld, startMerchantChild } from './lib/child-merchant.js'
import { nsToMs, sendOneAtATime } from './lib/http-post.js'
import { runBench } from './lib/lifecycle.js'
import { AMOUNT, orderNumbers, presignNotifications } from './lib/notify-requests.js'
import { pacedLoad } from './lib/paced.js'
import { summaryJson } from './lib/phase-report.js'
import { benchResult, heading, note, round, summarize, type Summary, table, verdict, type Verdict } from './lib/report.js'
import { CpuMeter, cpuMicros, waitForQuiet } from './lib/cpu.js'
import type { Resolution } from './servers/wakeup-app.js'

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const TARGET_P99_MS = 50
const POLL_MS = 1_000

const CHANNELS: Array<{ name: string; label: string; wakeup: (databaseUrl: string) => WakeupOptions; target: boolean }> = [
  { name: 'postgres', label: 'LISTEN/NOTIFY', wakeup: (databaseUrl) => ({ postgres: databaseUrl }), target: true },
  { name: 'redis', label: 'Redis pub/sub', wakeup: () => ({ redis: REDIS_URL, channel: `bench_${randomBytes(4).toString('hex')}` }), target: true },
  { name: 'poll', label: `database poll (${POLL_MS} ms, default)`, wakeup: () => ({ pollMs: POLL_MS }), target: false },
]
// One notification at a time (the wake-up path alone), then a paced open-loop stream.
const PHASES = [
  { name: 'sequential', label: 'one at a time', rate: 0, orders: 200 },
  { name: 'paced', label: '100/s', rate: 100, orders: 300 },
] as const

interface Row {
  channel: string
  phase: string
  sendToResolved: Summary
  resolvedByNotify: number
  orders: number
  inquiriesOnA: number
  inquiriesOnB: number
  /** Cores busy on the machine while sending, and those not used by the benchmark's processes. */
  machineCores: number
  otherCores: number
}

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379), timeout: 1_000 })
    socket.once('connect', () => resolve(true)).once('error', () => resolve(false)).once('timeout', () => resolve(false))
    socket.once('close', () => socket.destroy())
  })
}

runBench('instances', 300, async ({ defer }) => {
  heading('instances: a notification answered by B wakes a waiter on A (two processes, one PostgreSQL database)')
  const world = await startBenchWorld(defer)
  const { db, sim, keys } = world

  const rows: Row[] = []
  const skipped: string[] = []
  for (const channel of CHANNELS) {
    if (channel.name === 'redis' && !(await reachable(REDIS_URL))) {
      skipped.push(`${channel.label}: Redis at ${REDIS_URL} unreachable (BENCH_REDIS_URL)`)
      continue
    }
    const wakeup = channel.wakeup(db.url)
    // Stopped below, before the next channel's pair; `defer` covers a failure on the way.
    const a = await startMerchantChild(world, 'servers/wakeup-app.ts', `A (${channel.name})`, defer, { wakeup })
    const b = await startMerchantChild(world, 'servers/wakeup-app.ts', `B (${channel.name})`, defer, { wakeup })
    try {
      const before = process.hrtime.bigint()
      const theirs = await a.child.call<bigint>('now')
      if (!(before <= theirs && theirs <= process.hrtime.bigint())) throw new Error('process.hrtime is not shared between processes here')
      for (const phase of PHASES) {
        const orderNos = orderNumbers(`x-${channel.name}-${phase.name}-`, phase.orders)
        for (const orderNo of orderNos) sim.createPayment({ paymentRequestId: orderNo, amount: AMOUNT })
        const { inquiries: armed } = await a.child.call<{ inquiries: number }>('arm', orderNos)
        const requests = await presignNotifications(orderNos, keys.alipay.privateKey)
        await waitForQuiet(10_000)
        const appsCpu = async () => cpuMicros(await a.child.call('cpuUsage')) + cpuMicros(await b.child.call('cpuUsage'))
        const apps0 = await appsCpu()
        const meter = new CpuMeter()
        const url = new URL(b.notifyUrl)
        const responses = phase.rate === 0 ? await sendOneAtATime(url, requests) : (await pacedLoad(url, requests, phase.rate)).responses
        const cpu = meter.stop((await appsCpu()) - apps0)
        const collected = await a.child.call<{ resolutions: Resolution[]; inquiries: number }>('collect', orderNos, 3 * POLL_MS + 10_000)
        const onB = await b.child.call<{ inquiries: number }>('collect', [], 0)
        rows.push({
          channel: channel.label,
          phase: phase.label,
          orders: phase.orders,
          sendToResolved: summarize(collected.resolutions.map((r) => nsToMs(r.resolvedAt - responses.get(r.orderNo)!.sentAt))),
          resolvedByNotify: collected.resolutions.filter((r) => r.final && r.source === 'notify').length,
          inquiriesOnA: collected.inquiries - armed,
          inquiriesOnB: onB.inquiries,
          machineCores: cpu.machine,
          otherCores: cpu.other,
        })
      }
    } finally {
      await a.child.stop()
      await b.child.stop()
    }
  }

  heading('Cross-instance wake-up, send to B -> resolved on A (ms)')
  table([
    ['channel', 'phase', 'n', 'p50', 'p90', 'p99', 'max', 'resolved by notify', "A's inquiries while sending", "B's inquiries", 'cores busy', 'other'],
    ...rows.map((r) => [
      r.channel,
      r.phase,
      r.sendToResolved.n,
      r.sendToResolved.p50,
      r.sendToResolved.p90,
      r.sendToResolved.p99,
      r.sendToResolved.max,
      `${r.resolvedByNotify}/${r.orders}`,
      r.inquiriesOnA,
      r.inquiriesOnB,
      round(r.machineCores),
      round(r.otherCores),
    ]),
  ])
  note('other: cores used by processes outside the benchmark (Redis counts here); above ~0.2 core the figures are disturbed.')
  note(`The database poll has no target: it bounds the wake-up by pollMs (${POLL_MS} ms here) plus one query.`)
  for (const reason of skipped) note(`skipped: ${reason}`)

  heading('Targets')
  const targets: Verdict[] = rows
    .filter((r) => CHANNELS.find((c) => c.label === r.channel)!.target)
    .map((r) => verdict(`cross-instance wake-up p99, ${r.channel}, ${r.phase}`, r.sendToResolved.p99, '<=', TARGET_P99_MS, ' ms'))
  const checks: Verdict[] = rows.map((r) => verdict(`check: every waiter on A resolved by B's notification, ${r.channel}, ${r.phase}`, r.resolvedByNotify, '>=', r.orders))
  benchResult('instances', {
    rows: rows.map((r) => ({ channel: r.channel, phase: r.phase, sendToResolvedMs: summaryJson(r.sendToResolved), resolvedByNotify: r.resolvedByNotify, orders: r.orders, inquiriesOnA: r.inquiriesOnA, inquiriesOnB: r.inquiriesOnB, cores: { machine: round(r.machineCores), other: round(r.otherCores) } })),
    skipped,
    targets,
    checks,
  })
})
