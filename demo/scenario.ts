// The demo's world, and its many-order run (after the story of one payment, story.ts): many
// orders paid through Alipay+ under a realistic fault mix, notified
// through a round-robin front to one of two merchant instances, each awaited with
// awaitPaymentResult on an instance of its own (by turns, so often not the one notified),
// handed to each instance's onPaymentResult, then checked against the simulator's truth and
// the database.
import { settledAudit } from '../test/helpers/audit.js'
import { type Faults, seededRandom } from '../src/simulator/index.js'
import { deliveryFigures, type DeliveryFigures, waitForDeliveries } from './delivery-checks.js'
import { HandlerLog } from './handler-log.js'
import { startDemoWorld, type DemoWorld, type DemoWorldOptions } from './world.js'

export const DEMO_FAULTS: Partial<Faults> = {
  notifyDropRate: 0.3, // notifications lost: only inquiryPayment can find these results
  notifyDuplicateRate: 0.1, // delivered twice
  inquiryUnknownRate: 0.08, // result U UNKNOWN_EXCEPTION
  inquiry5xxRate: 0.05, // HTTP 502/503
  inquiryTrafficLimitRate: 0.02, // result U REQUEST_TRAFFIC_EXCEED_LIMIT
}
const DELAYED_SHARE = 0.15 // notifications held back past several polling ticks
export const DELAY_MS = 2_500
const FAIL_SHARE = 0.05 // payments that fail (balance, risk, closed)
const PAY_WITHIN_MS = 3_000 // users pay at a random moment within this time
const HANDLER_FAIL_SHARE = 0.05 // orders whose first onPaymentResult run throws

// Short ticks, so that the run is short; a waiter on the instance that was not notified is woken
// by the wake-up (see world.ts), or at worst sees the result at its next tick.
export const DEMO_POLLING = { minTimeoutMs: 250, maxTimeoutMs: 1_000, factor: 2, randomize: true, maxRetryTimeMs: 60_000 }
// Quick retries and sweeps, so that the failed first runs are retried within the demo.
export const DEMO_DELIVERY = { minTimeoutMs: 250, maxTimeoutMs: 1_000, sweepIntervalMs: 1_000 }

export interface ScenarioOptions {
  orders: number
  /** Called about every 200 ms while orders are pending. */
  onProgress?: (progress: Progress) => void
  seed?: number
}

export interface Progress {
  orders: number
  final: number
  byNotify: number
  byInquiry: number
  inquiries: number
  /** Orders whose onPaymentResult has succeeded. */
  delivered: number
  elapsedMs: number
}

/** What one merchant instance did. */
export interface InstanceSummary {
  name: string
  notificationsAnswered: number
  /** awaitPaymentResult calls made on it. */
  waiters: number
  inquiries: number
  handlerRuns: number
  /** Of those, runs that threw on purpose. */
  handlerFailures: number
}

export interface Check {
  name: string
  ok: boolean
  detail: string
}

export interface ScenarioSummary {
  database: string
  orders: number
  success: number
  fail: number
  byNotify: number
  byInquiry: number
  inquiries: number
  inquiriesPerOrder: { mean: number; max: number }
  inquiryOutcomes: Record<string, number>
  inquiriesAfterFinal: number
  notifications: { scheduled: number; sent: number; acknowledged: number; dropped: number; delayed: number; duplicated: number }
  instances: InstanceSummary[]
  delivery: DeliveryFigures
  elapsedMs: number
  checks: Check[]
  ok: boolean
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The demo's world, with the handlers' shared log: the story and the many-order run play in it. */
export interface ScenarioStage {
  world: DemoWorld
  log: HandlerLog
  /** Pays options.orders orders under the fault mix, then checks them; other orders are left out. */
  play(options: ScenarioOptions): Promise<ScenarioSummary>
  close(): Promise<void>
}

export async function openScenario(options: DemoWorldOptions): Promise<ScenarioStage> {
  const log = new HandlerLog()
  const world = await startDemoWorld({
    ...options,
    faults: { ...DEMO_FAULTS, ...options.faults },
    plugin: { polling: DEMO_POLLING, delivery: DEMO_DELIVERY, ...options.plugin },
    handler: (instance) => log.handler(instance),
  })
  return { world, log, play: (playOptions) => play(world, log, playOptions), close: () => world.close() }
}

function sum(values: number[]): number {
  return values.reduce((total, n) => total + n, 0)
}

async function play(world: DemoWorld, log: HandlerLog, options: ScenarioOptions): Promise<ScenarioSummary> {
  const { instances, sim, db } = world
  const rand = seededRandom(options.seed ?? 42)
  const runId = Date.now().toString(36)
  const orderNos = Array.from({ length: options.orders }, (_, i) => `demo-${runId}-${i}`)
  const started = Date.now()
  let delayed = 0
  const bySource = { notify: 0, inquiry: 0, cancel: 0, manual: 0 }
  const waiters = instances.map(() => 0)
  // The instances' counters cover their whole life (the story's payment too): count from here.
  const before = instances.map((instance) => ({ stats: instance.app.alipayplus.stats(), answered: instance.notificationsAnswered() }))
  const inquiriesOf = (i: number) => instances[i]!.app.alipayplus.stats().inquiries - before[i]!.stats.inquiries
  const inquiries = () => sum(instances.map((_, i) => inquiriesOf(i)))
  const ours = new Set(orderNos)
  const delivered = () => [...log.successes().keys()].filter((orderNo) => ours.has(orderNo)).length

  const results = orderNos.map(async (orderNo, i) => {
    // Waited for on A and B by turns; the front sends each notification to A and B by turns
    // too, independently: about half the waiters learn their result from the other instance.
    const instance = i % instances.length
    const { app } = instances[instance]!
    waiters[instance]!++
    const amount = { currency: 'USD', value: String(100 + Math.floor(rand() * 99_900)) }
    // Drawn before the first await, so the same seed picks the same orders whatever order the
    // database answers in.
    if (rand() < HANDLER_FAIL_SHARE) log.failFirst.add(orderNo)
    await app.alipayplus.store.createOrder({ orderNo, amount })
    const delay = rand() < DELAYED_SHARE
    if (delay) delayed++
    sim.createPayment({ paymentRequestId: orderNo, amount, faults: delay ? { notifyDelayMs: DELAY_MS } : {} })
    const fails = rand() < FAIL_SHARE
    setTimeout(() => {
      sim.completePayment(orderNo, fails ? { status: 'FAIL', resultCode: 'USER_BALANCE_NOT_ENOUGH' } : { status: 'SUCCESS' })
    }, Math.floor(rand() * PAY_WITHIN_MS))
    const result = await app.awaitPaymentResult(orderNo)
    if (result.source) bySource[result.source]++
    return result
  })

  const progress = setInterval(() => {
    options.onProgress?.({
      orders: orderNos.length,
      final: bySource.notify + bySource.inquiry,
      byNotify: bySource.notify,
      byInquiry: bySource.inquiry,
      inquiries: inquiries(),
      delivered: delivered(),
      elapsedMs: Date.now() - started,
    })
  }, 200)
  const settled = await Promise.allSettled(results)
  // The handler runs after the waiters resolve (off the request path), and the failed first
  // runs are retried a moment later: wait for the database to mark every final order.
  await waitForDeliveries(db.prisma, orderNos, 30_000).finally(() => clearInterval(progress))
  const elapsedMs = Date.now() - started

  // Once every order is final nothing may ask Alipay+ again, and once delivered no handler
  // may run again: watch for longer than a tick, with one more sweep on every instance.
  const inquiriesAtEnd = sim.stats().inquiries.received
  await Promise.all(instances.map((instance) => instance.app.alipayplus.sweepDeliveries()))
  await sleep(DEMO_POLLING.maxTimeoutMs * 2)
  await sim.waitForIdle()
  const inquiriesAfterFinal = sim.stats().inquiries.received - inquiriesAtEnd

  const trail = await settledAudit(db.prisma, orderNos)
  const orders = trail.orders
  const delivery = await deliveryFigures(db.prisma, orderNos, log)
  const perOrder = sim.stats().inquiries.byPayment
  const counts = orderNos.map((orderNo) => perOrder[orderNo] ?? 0)
  const rejected = settled.filter((s) => s.status === 'rejected')
  const stillInit = orders.filter((o) => o.status === 'init')
  const wrong = orders.filter((o) => o.status !== sim.getPayment(o.orderNo)?.status)
  const notified = sim.stats().notifications.byPayment
  const notifications = orderNos.map((orderNo) => notified[orderNo]).filter((n) => n !== undefined)

  const checks: Check[] = [
    { name: 'every awaitPaymentResult resolved', ok: rejected.length === 0, detail: `${rejected.length} rejected` },
    { name: 'no order left init', ok: stillInit.length === 0 && orders.length === orderNos.length, detail: `${stillInit.length} init` },
    {
      name: 'no order changed twice',
      ok: trail.badFinalEvents.length === 0 && trail.unexplained === 0,
      detail: `each order decided by one event of its own: ${trail.badFinalEvents.length} not, ${trail.unexplained} unexplained events`,
    },
    { name: 'every stored result matches Alipay+', ok: wrong.length === 0, detail: `${wrong.length} differ` },
    {
      name: 'no inquiry once final',
      ok: inquiriesAfterFinal === 0,
      detail: `${inquiriesAfterFinal} in the ${DEMO_POLLING.maxTimeoutMs * 2} ms after the last result`,
    },
    {
      name: 'every final order delivered exactly once',
      ok: delivery.duplicates === 0 && delivery.missing === 0 && delivery.successfulRuns === delivery.final && delivery.delivered === delivery.final,
      detail: `${delivery.final} orders, ${delivery.successfulRuns} successful handler runs, ${delivery.duplicates} duplicates, ${delivery.missing} missing`,
    },
    {
      name: 'every failed handler run retried to one success',
      ok: delivery.retried === delivery.failedOnPurpose,
      detail: `${delivery.failedOnPurpose} first runs threw on purpose, ${delivery.retried} delivered by their second run`,
    },
  ]
  const outcomes: Record<string, number> = {}
  instances.forEach((instance, i) => {
    const earlier = before[i]!.stats.outcomes as Record<string, number>
    for (const [kind, n] of Object.entries(instance.app.alipayplus.stats().outcomes)) outcomes[kind] = (outcomes[kind] ?? 0) + n - (earlier[kind] ?? 0)
  })
  const total = inquiries()
  return {
    database: `${db.kind} ${db.location}`,
    orders: orderNos.length,
    success: orders.filter((o) => o.status === 'SUCCESS').length,
    fail: orders.filter((o) => o.status === 'FAIL').length,
    byNotify: orders.filter((o) => o.resultSource === 'notify').length,
    byInquiry: orders.filter((o) => o.resultSource === 'inquiry').length,
    inquiries: total,
    inquiriesPerOrder: { mean: total / orderNos.length, max: Math.max(0, ...counts) },
    inquiryOutcomes: outcomes,
    inquiriesAfterFinal,
    notifications: {
      scheduled: notifications.length,
      sent: sum(notifications.map((n) => n.sent)),
      acknowledged: notifications.filter((n) => n.state === 'acknowledged').length,
      dropped: notifications.filter((n) => n.state === 'dropped').length,
      delayed,
      duplicated: notifications.filter((n) => n.sent > n.attempts).length,
    },
    instances: instances.map((instance, i) => {
      const runs = log.runs.filter((run) => run.instance === instance.name && ours.has(run.orderNo))
      return {
        name: instance.name,
        notificationsAnswered: instance.notificationsAnswered() - before[i]!.answered,
        waiters: waiters[i]!,
        inquiries: inquiriesOf(i),
        handlerRuns: runs.length,
        handlerFailures: runs.filter((run) => !run.ok).length,
      }
    }),
    delivery,
    elapsedMs,
    checks,
    ok: checks.every((check) => check.ok),
  }
}
