// npm start's story, smaller: the demo's own checks must hold on embedded PGlite, so the
// command a newcomer runs first keeps working; and what it claims about onPaymentResult is
// read back here from the database the two instances shared, not from its summary.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { PrismaClient } from '../../generated/prisma/client.js'
import { demoMetrics } from '../../demo/otel-metrics.js'
import { runScenario } from '../../demo/scenario.js'
import { openDatabase } from '../../src/migrate.js'

const ORDERS = 60

t.test('the demo scenario holds all its checks, on two instances', async (t) => {
  const pgliteDir = await mkdtemp(join(tmpdir(), 'alipayplus-demo-test-'))
  t.teardown(() => rm(pgliteDir, { recursive: true, force: true }))
  const metrics = demoMetrics()
  const summary = await runScenario({
    orders: ORDERS,
    pgliteDir,
    databaseUrl: '',
    seed: 7,
    plugin: { openTelemetry: { meterProvider: metrics.meterProvider } },
  })
  for (const check of summary.checks) t.ok(check.ok, `${check.name} (${check.detail})`)
  t.equal(summary.orders, ORDERS)
  t.equal(summary.success + summary.fail, ORDERS)
  t.equal(summary.byNotify + summary.byInquiry, ORDERS)
  t.ok(summary.byInquiry > 0 && summary.byNotify > 0, 'both paths delivered results')

  t.equal(summary.instances.length, 2)
  for (const instance of summary.instances) {
    t.ok(instance.notificationsAnswered > 0, `${instance.name} answered notifications`)
    t.equal(instance.waiters, ORDERS / 2, `${instance.name} awaited half the orders`)
  }
  const failedOnPurpose = summary.delivery.failedOnPurpose
  t.ok(failedOnPurpose > 0, 'some first handler runs failed on purpose (seed 7)')
  const runs = summary.instances.reduce((n, instance) => n + instance.handlerRuns, 0)
  t.equal(runs, ORDERS + failedOnPurpose, 'one successful run per order, plus one failed run per injected failure')

  // What the demo prints from OpenTelemetry agrees with what happened.
  const seen = await metrics.summary()
  const results = seen.results
  t.same(
    [results['SUCCESS notify'] ?? 0, results['FAIL notify'] ?? 0, results['SUCCESS inquiry'] ?? 0, results['FAIL inquiry'] ?? 0].reduce((a, b) => a + b),
    ORDERS,
    'every result counted once, by the instance that recorded it',
  )
  t.equal((results['SUCCESS notify'] ?? 0) + (results['FAIL notify'] ?? 0), summary.byNotify)
  t.equal(seen.notifications['S recorded'], summary.byNotify, 'one S answer that decided its order per result by notification')
  t.equal(seen.deliveryFailures, failedOnPurpose)
  t.equal(seen.deliveryLag.count, ORDERS, 'one lag per result: its first run')

  // The database, reopened after the demo closed it: every order delivered, after one run, or
  // two where the first threw on purpose.
  const db = await openDatabase({ PrismaClient, pgliteDir })
  t.teardown(() => db.close())
  const orders = await db.prisma.paymentOrder.findMany({ select: { status: true, deliveredAt: true, deliveryAttempts: true, deliveryOwner: true } })
  t.equal(orders.length, ORDERS)
  t.equal(orders.filter((o) => o.status !== 'init' && o.deliveredAt !== null).length, ORDERS, 'every order final and marked delivered')
  t.equal(orders.filter((o) => o.deliveryAttempts === 2).length, failedOnPurpose, 'a second run exactly where the first threw')
  t.equal(orders.filter((o) => o.deliveryAttempts === 1).length, ORDERS - failedOnPurpose, 'one run everywhere else')
  t.ok(orders.every((o) => o.deliveryOwner === null), 'no claim left behind')
})
