// npm start's story, smaller: the demo's own checks must hold on embedded PGlite, so the
// command a newcomer runs first keeps working.
import t from 'tap'
import { runScenario } from '../../demo/scenario.js'

t.test('the demo scenario holds all its checks', async (t) => {
  const summary = await runScenario({ orders: 60, pgliteDir: 'memory://', databaseUrl: '', seed: 7 })
  for (const check of summary.checks) t.ok(check.ok, `${check.name} (${check.detail})`)
  t.equal(summary.orders, 60)
  t.equal(summary.success + summary.fail, 60)
  t.equal(summary.byNotify + summary.byInquiry, 60)
  t.ok(summary.byInquiry > 0 && summary.byNotify > 0, 'both paths delivered results')
})
