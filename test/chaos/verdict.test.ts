// The chaos run's judge on hand-made records: each check catches what it is for, and a run
// cut by a signal is told apart from a repeat that nothing explains.
import t from 'tap'
import type { InquiryArrival } from '../../src/simulator/index.js'
import type { RunLine } from './instance.js'
import { type DatabaseStall, handlerRuns, judge, type OrderOutcome, type Signalled } from './verdict.js'

const S = 1_000_000_000n
const line = (ev: RunLine['ev'], orderNo: string, pid: number, attempt: number, seconds: number): RunLine => ({
  ev,
  orderNo,
  status: 'SUCCESS',
  attempt,
  key: `${orderNo}:1`,
  instance: `I${pid}`,
  pid,
  t: String(BigInt(seconds) * S),
})
const paid = (orderNo: string, recorded = 'SUCCESS', delivered = true): OrderOutcome => ({ orderNo, gateway: 'SUCCESS', recorded, delivered })
const arrival = (paymentRequestId: string, clientId: string, at: number, answeredAt: number): InquiryArrival => ({ paymentRequestId, clientId, at, answeredAt })

t.test('a run killed mid-way, then completed elsewhere: explained, no overlap', async (t) => {
  const killed: Signalled = { pid: 1, signal: 'SIGKILL', at: 12n * S, exitedAt: 12n * S }
  const runs = handlerRuns([line('start', 'o1', 1, 1, 10), line('start', 'o1', 2, 2, 20), line('end', 'o1', 2, 2, 21)], [killed])
  t.match(runs, [{ pid: 1, how: 'killed', stop: 12n * S }, { pid: 2, how: 'completed', signal: undefined }])
  const v = judge([paid('o1')], runs, [], 0n)
  t.same([v.overlapping, v.repeated.unexplained, v.repeated.explainedBySigkill, v.completedRuns, v.killedMidRun], [[], [], 1, { 1: 1 }, 1])
})

t.test('a completed run whose process dies before the next run starts explains it; one that lives on does not', async (t) => {
  const killedLater: Signalled = { pid: 1, signal: 'SIGKILL', at: 13n * S, exitedAt: 13n * S }
  const lines = [line('start', 'o7', 1, 1, 10), line('end', 'o7', 1, 1, 11), line('start', 'o7', 2, 2, 20), line('end', 'o7', 2, 2, 21)]
  t.same(judge([paid('o7')], handlerRuns(lines, [killedLater]), [], 0n).repeated.unexplained, [], 'killed at 13 s, before the rerun at 20 s')
  const killedAfter: Signalled = { pid: 1, signal: 'SIGKILL', at: 25n * S, exitedAt: 25n * S }
  t.equal(judge([paid('o7')], handlerRuns(lines, [killedAfter]), [], 0n).repeated.unexplained.length, 1, 'alive when the rerun started')
})

t.test("runs aborted by a SIGTERM's close, even one started during the close, are explained by it", async (t) => {
  const closing: Signalled = { pid: 1, signal: 'SIGTERM', at: 9n * S, exitedAt: 12n * S }
  const lines = [line('start', 'o8', 1, 1, 10), line('aborted', 'o8', 1, 1, 11), line('start', 'o8', 2, 2, 20), line('end', 'o8', 2, 2, 21)]
  const v = judge([paid('o8')], handlerRuns(lines, [closing]), [], 0n)
  t.same([v.repeated.unexplained, v.repeated.explainedBySigterm, v.startedWhileClosing], [[], 1, 1])
})

t.test('a run done while its database is stalled, run again once its claim lapsed: explained only while the stall lasted', async (t) => {
  // pid 1 completes at 4 s inside its database stall (the "delivered" mark cannot be written);
  // pid 2 runs the order again at 7 s.
  const runs = handlerRuns([line('start', 'o11', 1, 1, 3), line('end', 'o11', 1, 1, 4), line('start', 'o11', 2, 2, 7), line('end', 'o11', 2, 2, 8)], [])
  const stall = (pid: number, from: number, to: number): DatabaseStall => ({ pid, from: BigInt(from) * S, to: BigInt(to) * S })
  const during = judge([paid('o11')], runs, [], 0n, [stall(1, 3, 12)])
  t.same([during.repeated.unexplained, during.repeated.explainedByDatabaseStall], [[], 1], 'stalled from before the end until after the rerun')
  t.equal(judge([paid('o11')], runs, [], 0n, [stall(1, 3, 5)]).repeated.unexplained.length, 1, 'the stall was over before the rerun: the mark could be written')
  t.equal(judge([paid('o11')], runs, [], 0n, [stall(2, 3, 12)]).repeated.unexplained.length, 1, "another process's stall explains nothing")
  t.equal(judge([paid('o11')], runs, [], 0n).repeated.unexplained.length, 1, 'no stall: unexplained')
})

t.test("a run aborted by a SIGTERM's close gives its attempt number back; a completed one does not", async (t) => {
  const closing: Signalled = { pid: 1, signal: 'SIGTERM', at: 9n * S, exitedAt: 12n * S }
  const given = [line('start', 'o9', 1, 1, 10), line('aborted', 'o9', 1, 1, 11), line('start', 'o9', 2, 1, 20), line('end', 'o9', 2, 1, 21)]
  t.same(judge([paid('o9')], handlerRuns(given, [closing]), [], 0n).attemptNotGrowing, [], 'the next run may carry the same number')
  const killed: Signalled = { pid: 1, signal: 'SIGKILL', at: 10n * S + S / 2n, exitedAt: 10n * S + S / 2n }
  const repeated = [line('start', 'o10', 1, 1, 10), line('start', 'o10', 2, 1, 20), line('end', 'o10', 2, 1, 21)]
  t.same(judge([paid('o10')], handlerRuns(repeated, [killed]), [], 0n).attemptNotGrowing, ['o10'], 'a killed run counted its attempt: the next must grow')
})

t.test('two completed runs with no signal: an unexplained repeat; intersecting ones also overlap', async (t) => {
  const runs = handlerRuns(
    [line('start', 'o2', 1, 1, 10), line('end', 'o2', 1, 1, 11), line('start', 'o2', 2, 2, 20), line('end', 'o2', 2, 2, 21),
      line('start', 'o3', 1, 1, 10), line('start', 'o3', 2, 1, 12), line('end', 'o3', 1, 1, 13), line('end', 'o3', 2, 1, 14)],
    [],
  )
  const v = judge([paid('o2'), paid('o3')], runs, [], 0n)
  t.same(v.repeated.unexplained.map((r) => r.orderNo), ['o2', 'o3'])
  t.same(v.overlapping.map((o) => o.orderNo), ['o3'], 'only o3 ran twice at the same moment')
  t.same(v.attemptNotGrowing, ['o3'], 'o3 ran attempt 1 twice')
  t.same(v.completedRuns, { 2: 2 })
})

t.test('lost, wrong and undelivered results', async (t) => {
  const runs = handlerRuns([line('start', 'ok', 1, 1, 1), line('end', 'ok', 1, 1, 2), line('start', 'unmarked', 1, 1, 1), line('end', 'unmarked', 1, 1, 2)], [])
  const v = judge([paid('ok'), paid('lost', 'init'), paid('wrong', 'FAIL'), paid('unmarked', 'SUCCESS', false)], runs, [], 0n)
  t.same([v.lost, v.wrong, v.undelivered], [['lost'], ['wrong'], ['wrong', 'unmarked']])
})

t.test('inquiries of one order by two instances at once, not one after the other', async (t) => {
  const v = judge([], [], [arrival('o4', 'A', 0, 10), arrival('o4', 'B', 5, 15), arrival('o5', 'A', 0, 10), arrival('o5', 'B', 10, 20), arrival('o6', 'A', 0, 10), arrival('o6', 'A', 5, 15)], 0n)
  t.same([v.concurrentInquiries.orders, v.concurrentInquiries.pairs], [1, 1], 'o4 only: o5 is back to back, o6 is one instance')
})
