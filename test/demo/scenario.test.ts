// npm start, smaller: first the story of one payment, whose lines a reader follows in the
// order they are printed, so that order is checked here against what happened (the database,
// the simulator); then the many-order run, whose own checks must hold on embedded PGlite, and
// what it claims about onPaymentResult is read back from the database the two instances shared.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { PrismaClient } from '../../generated/prisma/client.js'
import { demoMetrics } from '../../demo/otel-metrics.js'
import { openScenario } from '../../demo/scenario.js'
import type { Step, StepKind } from '../../demo/story-steps.js'
import { tellStory } from '../../demo/story.js'
import { openDatabase } from '../../src/migrate.js'

const ORDERS = 60

/** The story as a reader follows it: each of these after the one before, in the printed order. */
const STORY_LINE: StepKind[] = ['order-created', 'inquiry-in-process', 'user-paid', 'notify-arrived', 'result-recorded', 'ack-sent', 'ack-verified']

t.test("npm start's story of one payment, then many orders on two instances", async (t) => {
  const pgliteDir = await mkdtemp(join(tmpdir(), 'alipayplus-demo-test-'))
  const metrics = demoMetrics()
  const stage = await openScenario({ pgliteDir, databaseUrl: '', plugin: { openTelemetry: { meterProvider: metrics.meterProvider } } })
  let stageOpen = true
  t.teardown(async () => {
    if (stageOpen) await stage.close()
    await rm(pgliteDir, { recursive: true, force: true })
  })

  const printed: Step[] = []
  const story = await tellStory(stage.world, stage.log, (step) => printed.push(step))
  await t.test('the story of one payment is told in the order it happened', async (t) => {
    t.same(printed, story.steps, 'every step printed once, as it was recorded')
    const kinds = printed.map((step) => step.kind)
    const positions = STORY_LINE.map((kind) => kinds.indexOf(kind))
    t.ok(positions.every((p) => p >= 0), `every step told: ${kinds.join(', ')}`)
    t.same([...positions].sort((a, b) => a - b), positions, `in the reader's order: ${STORY_LINE.join(' -> ')}`)
    const recordedAt = kinds.indexOf('result-recorded')
    t.ok(kinds.indexOf('waiter-woke') > recordedAt, 'the waiter wakes after the result is recorded')
    t.ok(kinds.indexOf('handler-ran') > recordedAt, 'onPaymentResult runs after the result is recorded')
    t.equal(kinds.at(-1), 'delivered', 'the story ends with the order marked delivered')
    t.equal(kinds.filter((kind) => kind === 'handler-ran').length, 1, 'onPaymentResult told once')

    const who = (kind: StepKind) => printed.find((step) => step.kind === kind)?.who
    t.equal(who('order-created'), 'B', 'the order is created on B')
    t.equal(who('inquiry-in-process'), 'B', "B's waiter polls")
    t.equal(who('notify-arrived'), 'A', 'the notification arrives on the other instance, A')
    t.equal(who('result-recorded'), 'A', 'A records it')
    t.equal(who('ack-sent'), 'A', 'A acknowledges it')
    t.equal(who('waiter-woke'), 'B', "B's waiter wakes")
    t.ok(story.ok, `the story's own checks hold: ${story.checks.filter((c) => !c.ok).map((c) => c.detail).join('; ')}`)

    // What the lines claim, read from the parts themselves.
    const order = await stage.world.db.prisma.paymentOrder.findUnique({ where: { orderNo: story.orderNo } })
    t.equal(order?.status, 'SUCCESS')
    t.equal(order?.resultSource, 'notify', 'decided by the notification')
    t.equal(order?.deliveryAttempts, 1, 'onPaymentResult ran once')
    t.ok(order?.deliveredAt, 'marked delivered')
    const notified = stage.world.sim.stats().notifications.byPayment[story.orderNo]
    t.same({ state: notified?.state, sent: notified?.sent }, { state: 'acknowledged', sent: 1 }, 'one notification, acknowledged at once')
    const runs = stage.log.runs.filter((run) => run.orderNo === story.orderNo)
    t.same(runs.map((run) => run.instance), [who('handler-ran')], 'the handler run told is the one that happened')
  })

  const summary = await stage.play({ orders: ORDERS, seed: 7 })
  stageOpen = false
  await stage.close()
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
  // The story's payment is one more, decided by its notification.
  t.same(
    [results['SUCCESS notify'] ?? 0, results['FAIL notify'] ?? 0, results['SUCCESS inquiry'] ?? 0, results['FAIL inquiry'] ?? 0].reduce((a, b) => a + b),
    ORDERS + 1,
    'every result counted once, by the instance that recorded it',
  )
  t.equal((results['SUCCESS notify'] ?? 0) + (results['FAIL notify'] ?? 0), summary.byNotify + 1)
  t.equal(seen.notifications['S recorded'], summary.byNotify + 1, 'one S answer that decided its order per result by notification')
  t.equal(seen.deliveryFailures, failedOnPurpose)
  t.equal(seen.deliveryLag.count, ORDERS + 1, 'one lag per result: its first run')

  // The database, reopened after the demo closed it: every order delivered, after one run, or
  // two where the first threw on purpose.
  const db = await openDatabase({ PrismaClient, pgliteDir })
  t.teardown(() => db.close())
  const orders = await db.prisma.paymentOrder.findMany({
    where: { orderNo: { not: story.orderNo } },
    select: { status: true, deliveredAt: true, deliveryAttempts: true, deliveryOwner: true },
  })
  t.equal(orders.length, ORDERS)
  t.equal(orders.filter((o) => o.status !== 'init' && o.deliveredAt !== null).length, ORDERS, 'every order final and marked delivered')
  t.equal(orders.filter((o) => o.deliveryAttempts === 2).length, failedOnPurpose, 'a second run exactly where the first threw')
  t.equal(orders.filter((o) => o.deliveryAttempts === 1).length, ORDERS - failedOnPurpose, 'one run everywhere else')
  t.ok(orders.every((o) => o.deliveryOwner === null), 'no claim left behind')
})
