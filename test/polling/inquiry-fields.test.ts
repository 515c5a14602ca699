// An inquiry answer's stored fields are checked as the notify route checks them (resultCode and
// a SUCCESS's paymentId: 1 to 64 characters, as the protocol says), on every provider. A signed
// answer with a longer one is an invalid answer: one inquiry, the order flagged, the hook
// called; never a write retried on every tick (on MySQL such a value does not fit the
// VARCHAR(191) column).
// (A FAIL, which does not use the paymentId, drops a bad one: inquiry-outcome.test.ts.)
import t from 'tap'
import type { AttentionAlert } from '../../src/index.js'
import { forEachBackend } from '../helpers/databases.js'
import { buildWorld, FAST_POLLING, until } from '../helpers/world.js'

const LONG = 200

await forEachBackend(t, async (t, backend) => {
  const alerts: AttentionAlert[] = []
  const world = await buildWorld(t, {
    backend,
    // Short, so that the old behaviour (a failing write, retried) ends the wait instead of hanging.
    app: { onAttention: (alert) => void alerts.push(alert), polling: { ...FAST_POLLING, maxRetryTimeMs: 5_000 } },
  })
  const inquiriesFor = (orderNo: string) => world.sim.stats().inquiries.byPayment[orderNo] ?? 0

  const cases = [
    { orderNo: 'long-code', complete: { status: 'FAIL', resultCode: 'R'.repeat(LONG) }, problem: /resultCode is longer than 64/ },
    { orderNo: 'long-id', complete: { status: 'SUCCESS', paymentId: 'P'.repeat(LONG) }, problem: /paymentId is longer than 64/ },
  ] as const
  for (const { orderNo, complete, problem } of cases) {
    await world.order(orderNo)
    world.sim.completePayment(orderNo, { ...complete, notify: false })
    await t.rejects(world.app.awaitPaymentResult(orderNo), { code: 'FST_ALIPAYPLUS_INVALID_ANSWER' }, `${orderNo}: an invalid answer`)
    t.equal(inquiriesFor(orderNo), 1, `${orderNo}: asked once, not on every tick`)
    t.match(await world.store.getOrder(orderNo), { status: 'init', attention: 'invalid_answer' }, `${orderNo}: flagged`)
    t.same(await world.store.listEvents(orderNo), [], `${orderNo}: nothing recorded`)
    await until(() => alerts.some((alert) => alert.orderNo === orderNo))
    t.match(
      alerts.find((alert) => alert.orderNo === orderNo),
      { kind: 'invalid_answer', source: 'inquiry', attention: 'invalid_answer', problem },
      `${orderNo}: the hook heard of it`,
    )
  }

  // At the limit, recorded as usual.
  await world.order('at-limit')
  world.sim.completePayment('at-limit', { status: 'SUCCESS', resultCode: 'S'.repeat(64), paymentId: 'P'.repeat(64), notify: false })
  t.match(await world.app.awaitPaymentResult('at-limit'), { final: true, status: 'SUCCESS', source: 'inquiry', resultCode: 'S'.repeat(64) })
  t.match(await world.store.getOrder('at-limit'), { status: 'SUCCESS', paymentId: 'P'.repeat(64), attention: null })
})
