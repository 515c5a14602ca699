// Benchmark "wakeup": how long after a notifyPayment is sent does awaitPaymentResult resolve?
// The merchant app runs in a child process with one waiter per order; each waiter's polling
// loop has made its first inquiry (answered "in process" by the simulator, in this process)
// and then sleeps for 10 minutes, so only the notification can resolve it. This process then
// sends one pre-signed notification per order over HTTP and takes the times:
//   send      just before the request is handed to the socket (this process);
//   resolved  when the waiter's promise resolved (child process);
//   response  when the last byte of the notify response arrived (this process).
// All three are process.hrtime.bigint(), Linux CLOCK_MONOTONIC, one clock for both processes
// (checked below). Reported: resolved - send, and resolved - response (negative: the waiter
// resolved before the answer reached Alipay+, as it should: the route wakes waiters, then
// signs its answer).
import { nsToMs, sendOneAtATime } from './lib/http-post.js'
import { startChildMerchant } from './lib/child-merchant.js'
import { pacedLoad } from './lib/paced.js'
import { runBench } from './lib/lifecycle.js'
import { AMOUNT, orderNumbers, presignNotifications } from './lib/notify-requests.js'
import { benchResult, heading, note, summarize, type Summary, table, verdict, type Verdict } from './lib/report.js'
import type { Resolution } from './servers/wakeup-app.js'
import { CpuMeter, type CpuSplit, cpuMicros, waitForQuiet } from './lib/cpu.js'
import { cpuJson, cpuTable, summaryJson } from './lib/phase-report.js'

const TARGET_P99_MS = 10
// One notification at a time (the wake-up path alone), then an evenly paced stream of 200
// notifications per second (open loop, up to 64 sockets; about a third of what the notify
// benchmark saturates at), so requests overlap as deliveries of different orders do.
const PHASES = [
  { name: 'sequential', label: 'one notification in flight', rate: 0, orders: 300 },
  { name: 'paced', label: 'paced at 200 notifications/s', rate: 200, orders: 400 },
] as const

interface PhaseResult {
  name: string
  label: string
  rate: number
  orders: number
  sendToResolved: Summary
  responseToResolved: Summary
  roundTrip: Summary
  byNotify: number
  inquiriesWhileSending: number
  unresolved: number
  non200: number
  cpu: CpuSplit
}

runBench('wakeup', 180, async ({ defer }) => {
  heading('wakeup: notifyPayment -> awaitPaymentResult resolution, PostgreSQL, real HTTP')
  const { keys, sim, child, notifyUrl } = await startChildMerchant('servers/wakeup-app.ts', 'wakeup-app', defer)

  // One clock for both processes: the child's reading must fall between two of ours.
  const before = process.hrtime.bigint()
  const theirs = await child.call<bigint>('now')
  const after = process.hrtime.bigint()
  if (!(before <= theirs && theirs <= after)) throw new Error('process.hrtime is not shared between processes here')

  const results: PhaseResult[] = []
  for (const phase of PHASES) {
    const orderNos = orderNumbers(`wake-${phase.name}-`, phase.orders)
    for (const orderNo of orderNos) sim.createPayment({ paymentRequestId: orderNo, amount: AMOUNT })
    const { inquiries: armed } = await child.call<{ inquiries: number }>('arm', orderNos)
    const requests = await presignNotifications(orderNos, keys.alipay.privateKey)
    await waitForQuiet(10_000)
    const app0 = await child.call<NodeJS.CpuUsage>('cpuUsage')
    const meter = new CpuMeter()
    const responses = phase.rate === 0 ? await sendOneAtATime(new URL(notifyUrl), requests) : (await pacedLoad(new URL(notifyUrl), requests, phase.rate)).responses
    const cpu = meter.stop(cpuMicros(await child.call<NodeJS.CpuUsage>('cpuUsage')) - cpuMicros(app0))
    const collected = await child.call<{ resolutions: Resolution[]; inquiries: number; unresolved: string[] }>('collect', orderNos, 10_000)

    const sendToResolved: number[] = []
    const responseToResolved: number[] = []
    const roundTrip: number[] = []
    for (const r of collected.resolutions) {
      const response = responses.get(r.orderNo)!
      sendToResolved.push(nsToMs(r.resolvedAt - response.sentAt))
      responseToResolved.push(nsToMs(r.resolvedAt - response.receivedAt))
      roundTrip.push(nsToMs(response.receivedAt - response.sentAt))
    }
    results.push({
      name: phase.name,
      label: phase.label,
      rate: phase.rate,
      orders: phase.orders,
      sendToResolved: summarize(sendToResolved),
      responseToResolved: summarize(responseToResolved),
      roundTrip: summarize(roundTrip),
      byNotify: collected.resolutions.filter((r) => r.source === 'notify' && r.final).length,
      inquiriesWhileSending: collected.inquiries - armed,
      unresolved: collected.unresolved.length,
      non200: [...responses.values()].filter((r) => r.status !== 200).length,
      cpu,
    })
  }

  heading('Wake-up latency (ms)')
  const rows: Array<Array<string | number>> = [['measure', 'phase', 'n', 'p50', 'p90', 'p99', 'max', 'mean']]
  for (const r of results) {
    rows.push(['send -> resolved', r.label, r.sendToResolved.n, r.sendToResolved.p50, r.sendToResolved.p90, r.sendToResolved.p99, r.sendToResolved.max, r.sendToResolved.mean])
    rows.push(['response -> resolved', r.label, r.responseToResolved.n, r.responseToResolved.p50, r.responseToResolved.p90, r.responseToResolved.p99, r.responseToResolved.max, r.responseToResolved.mean])
    rows.push(['send -> response (HTTP)', r.label, r.roundTrip.n, r.roundTrip.p50, r.roundTrip.p90, r.roundTrip.p99, r.roundTrip.max, r.roundTrip.mean])
  }
  table(rows)
  note('response -> resolved < 0: the waiter resolved before the notify answer reached the sender (the route publishes, then signs).')
  table([
    ['phase', 'orders', 'resolved by notify', 'unresolved', 'non-200 answers', 'inquiries while sending'],
    ...results.map((r) => [r.label, r.orders, r.byNotify, r.unresolved, r.non200, r.inquiriesWhileSending]),
  ])
  cpuTable(results)

  heading('Targets')
  const verdicts: Verdict[] = results.map((r) => verdict(`wake-up p99 (send -> resolved), ${r.label}`, r.sendToResolved.p99, '<=', TARGET_P99_MS, ' ms'))
  const checks: Verdict[] = results.map((r) => verdict(`check: every waiter resolved by its notification, ${r.label}`, r.byNotify, '>=', r.orders))

  benchResult('wakeup', {
    phases: results.map((r) => ({
      name: r.name,
      ratePerSecond: r.rate || null,
      orders: r.orders,
      sendToResolvedMs: summaryJson(r.sendToResolved),
      responseToResolvedMs: summaryJson(r.responseToResolved),
      roundTripMs: summaryJson(r.roundTrip),
      resolvedByNotify: r.byNotify,
      unresolved: r.unresolved,
      non200: r.non200,
      inquiriesWhileSending: r.inquiriesWhileSending,
      cpuCores: cpuJson(r.cpu),
    })),
    targets: verdicts,
    checks,
  })
})
