// What a chaos run found, from what it recorded: each order's result at the gateway and in the
// database, every handler run (the instances' run logs), every signal sent to an instance's
// pid, and every inquiry as the simulator saw it. Pure functions: the run collects, this judges.
import type { InquiryArrival } from '../../src/simulator/index.js'
import type { RunLine } from './instance.js'

/** A signal the harness sent to one pid, and when that pid was seen gone. ns of process.hrtime. */
export interface Signalled {
  pid: number
  signal: 'SIGKILL' | 'SIGTERM'
  at: bigint
  exitedAt: bigint
}

/** When one pid's database connections were stalled (ns of process.hrtime). */
export interface DatabaseStall {
  pid: number
  from: bigint
  to: bigint
}

export interface OrderOutcome {
  orderNo: string
  /** The payment's status at the gateway (the truth). */
  gateway: string
  /** The order's status in the merchant's database. */
  recorded: string
  delivered: boolean
}

export interface HandlerRun {
  orderNo: string
  instance: string
  pid: number
  attempt: number
  start: bigint
  /** When the run stopped: its end or abort line, or the moment its process was killed. */
  stop: bigint
  how: 'completed' | 'aborted' | 'killed' | 'exited'
  /** The signal the harness sent to the run's process, if any. */
  signal: Signalled | undefined
}

export interface Verdict {
  orders: number
  /** Final at the gateway, not final in the database. */
  lost: string[]
  /** Final in the database with another status than the gateway's. */
  wrong: string[]
  /** Final in the database, never completed by a handler run, or not marked delivered. */
  undelivered: string[]
  /** Orders two of whose handler runs were running at the same moment. */
  overlapping: Array<{ orderNo: string; runs: string[] }>
  /** How many orders had n completed runs: { 1: 998, 2: 2 }. */
  completedRuns: Record<number, number>
  /** Orders run more than once: each extra run cut by a signal or a database stall, or not (unexplained). */
  repeated: {
    explainedBySigkill: number
    explainedBySigterm: number
    explainedByDatabaseStall: number
    unexplained: Array<{ orderNo: string; runs: string[] }>
  }
  /** Attempt numbers that did not grow from one run of an order to the next (a SIGTERM's close gives its number back). */
  attemptNotGrowing: string[]
  /** Runs whose process was SIGKILLed while the handler ran. */
  killedMidRun: number
  /** Runs that started after their process had been sent its SIGTERM (during its close). */
  startedWhileClosing: number
  /** Orders asked about by two instances at once (intervals at the simulator intersect). */
  concurrentInquiries: { orders: number; pairs: number; examples: string[] }
}

/** Every handler run, from the instances' run logs and the signals sent to their pids. */
export function handlerRuns(lines: RunLine[], signalled: Signalled[]): HandlerRun[] {
  const byPid = new Map(signalled.map((s) => [s.pid, s]))
  const open = new Map<string, RunLine>()
  const runs: HandlerRun[] = []
  const keyOf = (line: RunLine) => `${line.pid}|${line.orderNo}|${line.attempt}`
  const close = (line: RunLine, stop: bigint, how: HandlerRun['how']) => {
    runs.push({ orderNo: line.orderNo, instance: line.instance, pid: line.pid, attempt: line.attempt, start: BigInt(line.t), stop, how, signal: byPid.get(line.pid) })
  }
  for (const line of lines) {
    if (line.ev === 'start') open.set(keyOf(line), line)
    else {
      const started = open.get(keyOf(line))
      open.delete(keyOf(line))
      if (started) close(started, BigInt(line.t), line.ev === 'end' ? 'completed' : 'aborted')
    }
  }
  // Never ended: its process went away mid-run (every pid is gone when the run is judged).
  for (const line of open.values()) {
    const signal = byPid.get(line.pid)
    close(line, signal ? (signal.signal === 'SIGKILL' ? signal.at : signal.exitedAt) : BigInt(line.t), signal?.signal === 'SIGKILL' ? 'killed' : 'exited')
  }
  return runs.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
}

/**
 * Why `run` was followed by `next` (another run of its order), if a fault explains it:
 * - a SIGKILL during the handler; or, for a completed run, a SIGKILL of its process before
 *   `next` started (the delivery was not yet marked when the process died: at least once);
 * - a SIGTERM whose close aborted the run (its process was closing when the run stopped);
 * - for a completed run, its process's database stalled when the run ended and until `next`
 *   started: the "delivered" mark could not be written, the claim lapsed (at least once).
 * Anything else (a completed run whose process lived on, and yet the order ran again) is not.
 */
export function cutBy(run: HandlerRun, next: HandlerRun | undefined, stalls: DatabaseStall[] = []): 'SIGKILL' | 'SIGTERM' | 'database stall' | undefined {
  const signal = run.signal
  if (signal?.signal === 'SIGKILL' && signal.at >= run.start) {
    if (run.how !== 'completed' ? signal.at <= run.stop : next === undefined || signal.at <= next.start) return 'SIGKILL'
  }
  if (signal?.signal === 'SIGTERM' && run.how !== 'completed' && signal.at <= run.stop) return 'SIGTERM'
  const markBlocked = (stall: DatabaseStall) =>
    stall.pid === run.pid && stall.from <= run.stop && (next === undefined || next.start <= stall.to)
  if (run.how === 'completed' && stalls.some(markBlocked)) return 'database stall'
  return undefined
}

/** Seconds since `origin`, for reading runs against the run's timeline of faults. */
export const secondsSince = (origin: bigint, at: bigint) => `${(Number(at - origin) / 1e9).toFixed(1)}s`

const describer = (origin: bigint) => (run: HandlerRun) =>
  `${run.instance}(pid ${run.pid}) attempt ${run.attempt} ${secondsSince(origin, run.start)}-${secondsSince(origin, run.stop)} ${run.how}` +
  (run.signal ? ` (${run.signal.signal} at ${secondsSince(origin, run.signal.at)})` : '')

/** Pairs of intervals that intersect, callers told apart by `who`. */
function intersecting<T>(items: T[], from: (x: T) => number | bigint, to: (x: T) => number | bigint, who: (x: T) => string): Array<[T, T]> {
  const pairs: Array<[T, T]> = []
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i]!
      const b = items[j]!
      if (who(a) !== who(b) && from(a) < to(b) && from(b) < to(a)) pairs.push([a, b])
    }
  }
  return pairs
}

/** `origin`: process.hrtime.bigint() at the run's start, the zero of the times in descriptions. */
export function judge(outcomes: OrderOutcome[], runs: HandlerRun[], arrivals: InquiryArrival[], origin: bigint, stalls: DatabaseStall[] = []): Verdict {
  const describe = describer(origin)
  const runsOf = new Map<string, HandlerRun[]>()
  for (const run of runs) runsOf.set(run.orderNo, [...(runsOf.get(run.orderNo) ?? []), run])
  const verdict: Verdict = {
    orders: outcomes.length,
    lost: [],
    wrong: [],
    undelivered: [],
    overlapping: [],
    completedRuns: {},
    repeated: { explainedBySigkill: 0, explainedBySigterm: 0, explainedByDatabaseStall: 0, unexplained: [] },
    attemptNotGrowing: [],
    killedMidRun: runs.filter((run) => run.how === 'killed').length,
    startedWhileClosing: runs.filter((run) => run.signal?.signal === 'SIGTERM' && run.signal.at < run.start).length,
    concurrentInquiries: { orders: 0, pairs: 0, examples: [] },
  }
  for (const order of outcomes) {
    const mine = runsOf.get(order.orderNo) ?? []
    const completed = mine.filter((run) => run.how === 'completed')
    if (order.recorded !== 'SUCCESS' && order.recorded !== 'FAIL') verdict.lost.push(order.orderNo)
    else if (order.recorded !== order.gateway) verdict.wrong.push(order.orderNo)
    if ((order.recorded === 'SUCCESS' || order.recorded === 'FAIL') && (completed.length === 0 || !order.delivered)) verdict.undelivered.push(order.orderNo)
    verdict.completedRuns[completed.length] = (verdict.completedRuns[completed.length] ?? 0) + 1

    // Two runs of one order, on two processes, at the same moment (one process never runs an
    // order twice at once: its delivery is single flight).
    const overlaps = intersecting(mine, (r) => r.start, (r) => r.stop, (r) => String(r.pid))
    if (overlaps.length > 0) verdict.overlapping.push({ orderNo: order.orderNo, runs: overlaps.flat().map(describe) })

    if (mine.length > 1) {
      // Every run but the last completed one must have been cut short by a fault.
      const last = completed.at(-1)
      const causes = mine.flatMap((run, i) => (run === last ? [] : [cutBy(run, mine[i + 1], stalls)]))
      if (causes.every((cause) => cause !== undefined)) {
        if (causes.includes('SIGKILL')) verdict.repeated.explainedBySigkill++
        else if (causes.includes('SIGTERM')) verdict.repeated.explainedBySigterm++
        else verdict.repeated.explainedByDatabaseStall++
      } else verdict.repeated.unexplained.push({ orderNo: order.orderNo, runs: mine.map(describe) })
      // A run that close() interrupted gives its attempt back (it must not use up the retries),
      // so the run after it may carry the same number; any other repeat or step back is a fault.
      const grows = (run: HandlerRun, i: number) => {
        const previous = mine[i - 1]!
        return run.attempt > previous.attempt || (run.attempt === previous.attempt && cutBy(previous, run) === 'SIGTERM')
      }
      if (mine.some((run, i) => i > 0 && !grows(run, i))) verdict.attemptNotGrowing.push(order.orderNo)
    }
  }

  const arrivalsOf = new Map<string, InquiryArrival[]>()
  for (const arrival of arrivals) arrivalsOf.set(arrival.paymentRequestId, [...(arrivalsOf.get(arrival.paymentRequestId) ?? []), arrival])
  for (const list of arrivalsOf.values()) {
    const pairs = intersecting(list, (a) => a.at, (a) => a.answeredAt ?? Number.POSITIVE_INFINITY, (a) => a.clientId ?? '')
    if (pairs.length > 0) {
      verdict.concurrentInquiries.orders++
      verdict.concurrentInquiries.pairs += pairs.length
      const [a, b] = pairs[0]!
      verdict.concurrentInquiries.examples.push(`${a.paymentRequestId} (${a.clientId} and ${b.clientId})`)
    }
  }
  return verdict
}
