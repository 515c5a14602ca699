// What a chaos run reports: its checks (what must hold; the test asserts them, `npm run chaos`
// prints PASS/FAIL) and its figures as text lines (TAP comments in the test, the console in the
// long form).
import type { ChaosReport } from './run-chaos.js'

export interface ChaosCheck {
  check: string
  /** What broke it; empty when it holds. */
  found: unknown[]
}

export function chaosChecks(report: ChaosReport): ChaosCheck[] {
  const v = report.verdict
  return [
    { check: '0 results lost: every result final at the gateway is final in the database', found: v.lost },
    { check: "0 results wrong: every recorded status is the gateway's", found: v.wrong },
    { check: 'every final order was delivered (a completed run) and marked delivered', found: v.undelivered },
    { check: '0 overlapping handler runs for one order', found: v.overlapping },
    { check: "every repeated run is explained by a SIGKILL, a SIGTERM's close or a database stall (the run done, its mark not written)", found: v.repeated.unexplained },
    { check: "attempt numbers only grow (a run cut by a SIGTERM's close gives its number back)", found: v.attemptNotGrowing },
    {
      // An order of events, not a time: a close that waited for the stalled wake-up connection
      // would end after the stall does.
      check: 'every SIGTERM close finished by itself, and the one during the wake-up stall before the stall ended',
      found: report.closes.filter((close) => close.ms === undefined || close.exitedDuringStall === false),
    },
  ]
}

const list = (items: string[], max = 5) => (items.length === 0 ? '' : `: ${items.slice(0, max).join(', ')}${items.length > max ? ', ...' : ''}`)
const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([key, n]) => `${key} ${n}`)
    .join(', ') || 'none'

export function reportLines(report: ChaosReport): string[] {
  const { verdict: v, plan } = report
  const closeMs = report.closes.map((c) => (c.ms === undefined ? `${c.instance} (${c.during}) never` : `${c.instance} (${c.during}) ${Math.round(c.ms)} ms`))
  const slowest = Math.max(...report.closes.map((c) => c.ms ?? Number.POSITIVE_INFINITY))
  return [
    `${report.label}: ${v.orders} orders, ${report.kills} SIGKILLs (every ${plan.kills.gapMs[0] / 1000}-${plan.kills.gapMs[1] / 1000} s), ` +
      `C's database stalled ${plan.dbStallMs / 1000} s (claim ${plan.deliveryLeaseMs / 1000} s), A's wake-up stalled ${plan.wakeStallMs / 1000} s with a SIGTERM in it, ` +
      `B's clock +${plan.clockOffsetMs / 1000} s${report.redisRestarts ? `, Redis killed and restarted ${report.redisRestarts}x` : ''}; seed ${plan.seed}`,
    `storm ${report.seconds.storm.toFixed(0)} s, then ${report.seconds.drain.toFixed(0)} s until ${report.settled ? 'every result was in' : 'patience ran out'}`,
    `results lost (final at the gateway, not in the database): ${v.lost.length}${list(v.lost)}`,
    `results wrong (recorded status differs from the gateway's): ${v.wrong.length}${list(v.wrong)}`,
    `final orders not delivered (no completed run, or not marked): ${v.undelivered.length}${list(v.undelivered)}`,
    `orders with overlapping handler runs: ${v.overlapping.length}${list(v.overlapping.map((o) => `${o.orderNo} [${o.runs.join(' / ')}]`), 3)}`,
    `completed runs per order: ${counts(Object.fromEntries(Object.entries(v.completedRuns).map(([n, orders]) => [`${n} run(s):`, orders])))}`,
    `orders run more than once: ${v.repeated.explainedBySigkill + v.repeated.explainedBySigterm + v.repeated.explainedByDatabaseStall + v.repeated.unexplained.length} ` +
      `(explained by a SIGKILL during the run ${v.repeated.explainedBySigkill}, by a SIGTERM's close ${v.repeated.explainedBySigterm}, ` +
      `by its database stalled before the run was marked ${v.repeated.explainedByDatabaseStall}, ` +
      `unexplained ${v.repeated.unexplained.length}${list(v.repeated.unexplained.map((o) => `${o.orderNo} [${o.runs.join(' / ')}]`), 3)}); ` +
      `runs SIGKILLed mid-handler: ${v.killedMidRun}; runs started after their process's SIGTERM (during its close): ${v.startedWhileClosing}`,
    `attempt numbers not growing from one run to the next: ${v.attemptNotGrowing.length}${list(v.attemptNotGrowing)}`,
    `orders asked about by two instances at once: ${v.concurrentInquiries.orders} (${v.concurrentInquiries.pairs} pairs of inquiries)${list(v.concurrentInquiries.examples, 3)}`,
    `SIGTERM close: ${closeMs.join(', ')}; slowest ${Number.isFinite(slowest) ? `${Math.round(slowest)} ms` : 'never finished'} (judged hung past ${plan.closePatienceMs} ms)`,
    `notifications: ${report.notifications.scheduled} scheduled, ${report.notifications.dropped} dropped, ${report.notifications.duplicated} duplicated, ` +
      `${report.notifications.sent} sent, ${report.notifications.acknowledged} acknowledged, ${report.notifications.exhausted} exhausted, ${report.notifications.pending} still being redelivered`,
    `notification attempts not acknowledged, by reason: ${counts(report.notifyFailures)}`,
    `inquiries: ${report.inquiries.received} received; answers: ${counts(report.inquiries.answered)}; altered after signing: ${report.inquiries.tampered}`,
    `awaitPaymentResult rejections (instances stopped by SIGTERM): ${counts(report.waiterErrors)}`,
    `instance starts that failed and were tried again: ${report.startFailures.length}${list(report.startFailures, 3)}`,
    `timeline: ${report.timeline.join('; ')}`,
  ]
}
