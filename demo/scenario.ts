// The demo's story: many orders paid through Alipay+ under a realistic fault mix, each awaited
// with awaitPaymentResult, then checked against the simulator's truth.
import { settledAudit } from '../test/helpers/audit.js'
import { type Faults, seededRandom } from '../src/simulator/index.js'
import { startDemoWorld, type DemoWorldOptions } from './world.js'

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

export const DEMO_POLLING = { minTimeout: 250, maxTimeout: 1_000, factor: 2, randomize: true, maxRetryTime: 60_000 }

export interface ScenarioOptions extends DemoWorldOptions {
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
  elapsedMs: number
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
  elapsedMs: number
  checks: Check[]
  ok: boolean
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function runScenario(options: ScenarioOptions): Promise<ScenarioSummary> {
  const world = await startDemoWorld({
    ...options,
    faults: { ...DEMO_FAULTS, ...options.faults },
    plugin: { polling: DEMO_POLLING, ...options.plugin },
  })
  try {
    return await play(world, options)
  } finally {
    await world.close()
  }
}

async function play(world: Awaited<ReturnType<typeof startDemoWorld>>, options: ScenarioOptions): Promise<ScenarioSummary> {
  const { app, sim, db } = world
  const rand = seededRandom(options.seed ?? 42)
  const runId = Date.now().toString(36)
  const orderNos = Array.from({ length: options.orders }, (_, i) => `demo-${runId}-${i}`)
  const started = Date.now()
  let delayed = 0
  const bySource = { notify: 0, inquiry: 0, cancel: 0 }

  const results = orderNos.map(async (orderNo) => {
    const amount = { currency: 'USD', value: String(100 + Math.floor(rand() * 99_900)) }
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
      inquiries: app.alipayplus.stats().inquiries,
      elapsedMs: Date.now() - started,
    })
  }, 200)
  const settled = await Promise.allSettled(results).finally(() => clearInterval(progress))
  const elapsedMs = Date.now() - started

  // Once every order is final nothing may ask Alipay+ again: watch for longer than a tick.
  const inquiriesAtEnd = sim.stats().inquiries.received
  await sleep(DEMO_POLLING.maxTimeout * 2)
  await sim.waitForIdle()
  const inquiriesAfterFinal = sim.stats().inquiries.received - inquiriesAtEnd

  const trail = await settledAudit(db.prisma, orderNos)
  const orders = trail.orders
  const perOrder = sim.stats().inquiries.byPayment
  const counts = orderNos.map((orderNo) => perOrder[orderNo] ?? 0)
  const rejected = settled.filter((s) => s.status === 'rejected')
  const stillInit = orders.filter((o) => o.status === 'init')
  const wrong = orders.filter((o) => o.status !== sim.getPayment(o.orderNo)?.status)
  const notifications = sim.stats().notifications

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
      detail: `${inquiriesAfterFinal} in the ${DEMO_POLLING.maxTimeout * 2} ms after the last result`,
    },
  ]
  const stats = app.alipayplus.stats()
  return {
    database: `${db.kind} ${db.location}`,
    orders: orderNos.length,
    success: orders.filter((o) => o.status === 'SUCCESS').length,
    fail: orders.filter((o) => o.status === 'FAIL').length,
    byNotify: orders.filter((o) => o.resultSource === 'notify').length,
    byInquiry: orders.filter((o) => o.resultSource === 'inquiry').length,
    inquiries: stats.inquiries,
    inquiriesPerOrder: { mean: stats.inquiries / orderNos.length, max: Math.max(0, ...counts) },
    inquiryOutcomes: stats.outcomes,
    inquiriesAfterFinal,
    notifications: {
      scheduled: notifications.scheduled,
      sent: notifications.sent,
      acknowledged: notifications.acknowledged,
      dropped: notifications.dropped,
      delayed,
      duplicated: Object.values(notifications.byPayment).filter((n) => n.sent > n.attempts).length,
    },
    elapsedMs,
    checks,
    ok: checks.every((check) => check.ok),
  }
}
