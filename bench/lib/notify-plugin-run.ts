// The notify benchmark's runs of the plugin's route, shared by bench/notify.ts and
// bench/otel.ts: a server child process per target, a warm-up, then a timed autocannon run
// whose first transitions and messages are read back from the database.
import { BenchChild } from './child.js'
import { waitForQuiet } from './cpu.js'
import { DB_LABELS, type BenchDbKind, type NotifyDatabase, type OrderRows, type RunCount } from './database.js'
import { merchantPems, type BenchKeys } from './keys.js'
import { sleep } from './lifecycle.js'
import { load, type LoadRun } from './load.js'
import { type CpuProfile, type ProfileSummary, summarizeProfile } from './notify-profile.js'
import type { PreparedRequest } from './notify-requests.js'
import { TARGET_PATHS, type TargetMode } from './notify-targets.js'

export const WARMUP_SECONDS = 2
export const CONNECTIONS = 64
/** BENCH_NOTIFY_PROFILE=1: a V8 CPU profile of the server's main thread over each timed run. */
const PROFILE = process.env.BENCH_NOTIFY_PROFILE === '1'

/** What the server child is started with beside its mode and database (see servers/notify-target.ts). */
export interface TargetSettings {
  /**
   * The plugin's OpenTelemetry: off (enabled false), the API alone (no SDK), the API with only the
   * SDK's context manager registered, or an SDK registered. Default: api.
   */
  openTelemetry?: 'off' | 'api' | 'ctx' | 'sdk'
}

export interface Target {
  child: BenchChild
  url: string
  rows: OrderRows
}

export interface MeasuredRun {
  label: string
  kind: BenchDbKind
  seconds: number
  run: LoadRun
  count: RunCount
  /** Queries sent over the server's pg connections per message recorded (PostgreSQL only). */
  queriesPerRequest: number | null
  /** The server's main thread over the timed run (BENCH_NOTIFY_PROFILE=1), else null. */
  profile: ProfileSummary | null
}

export async function startTarget(
  mode: TargetMode,
  db: NotifyDatabase,
  keys: BenchKeys,
  defer: (fn: () => unknown) => void,
  settings: TargetSettings = {},
): Promise<Target> {
  const child = await BenchChild.start('servers/notify-target.ts', `notify-target(${mode}, ${db.kind})`)
  defer(() => child.stop())
  const { url } = await child.call<{ url: string }>('start', { mode, ...db.location, ...merchantPems(keys), ...settings })
  return { child, url, rows: db.rows(child) }
}

/** A timed run whose requests are `prefix` orders; first transitions and messages read back from the database. */
export async function measured(
  label: string,
  kind: BenchDbKind,
  target: Target,
  mode: TargetMode,
  prefix: string,
  requests: PreparedRequest[],
  seconds: number,
): Promise<MeasuredRun> {
  await waitForQuiet(10_000)
  const queries0 = await target.child.call<number>('pgQueries')
  if (PROFILE) await target.child.call('startProfile')
  const run = await load({ url: target.url, path: TARGET_PATHS[mode], requests, seconds, connections: CONNECTIONS, server: target.child })
  const profile = PROFILE ? summarizeProfile(await target.child.call<CpuProfile>('stopProfile')) : null
  const count = await settledCount(target.rows, prefix)
  // Per message the run recorded, once the requests in flight at its end are done too (the
  // warm-up's were done before it started: waitForQuiet takes at least a second).
  const queries = (await target.child.call<number>('pgQueries')) - queries0
  return { label, kind, seconds, run, count, queriesPerRequest: kind === 'postgresql' && count.messages > 0 ? queries / count.messages : null, profile }
}

/**
 * The run's counts once the requests still in flight when the load stopped are done: the
 * store writes the event before the transition, so a count taken at once can see an event
 * whose transition is still under way.
 */
export async function settledCount(rows: OrderRows, prefix: string): Promise<RunCount> {
  let last = await rows.countRun(prefix)
  for (let i = 0; i < 40; i++) {
    await sleep(250)
    const now = await rows.countRun(prefix)
    if (now.firstTransitions === last.firstTransitions && now.messages === last.messages) return now
    last = now
  }
  return last
}

/** A signed route (the plugin's, or the minimal hand-written one) on one database: warm-up, then a timed run. */
export async function runSigned(
  mode: 'plugin' | 'minimal',
  db: NotifyDatabase,
  keys: BenchKeys,
  signed: { warm: PreparedRequest[]; timed: PreparedRequest[] },
  seconds: number,
  perSecond: number,
  defer: (fn: () => unknown) => void,
  settings: TargetSettings = {},
): Promise<{ target: Target; run: MeasuredRun }> {
  const target = await startTarget(mode, db, keys, defer, settings)
  const label = mode === 'plugin' ? `plugin (${DB_LABELS[db.kind]})` : 'minimal signed route'
  if (db.kind === 'postgresql') {
    // More than the plugin can answer in `seconds` (it signs every answer): see the caller.
    await target.rows.insertOrders([...signed.warm, ...signed.timed].map((r) => r.orderNo))
    await load({ url: target.url, path: TARGET_PATHS[mode], requests: signed.warm, seconds: WARMUP_SECONDS, connections: CONNECTIONS, server: target.child })
    const run = await measured(label, db.kind, target, mode, 'plugin-m-', signed.timed.slice(0, Math.ceil(perSecond * seconds)), seconds)
    return { target, run }
  }
  // Elsewhere the orders are sized from the warm-up (twice its rate, capped by the signed
  // set): inserting the whole set into SQLite would take longer than the runs. A warm-up that
  // outruns its orders repeats them (answered as duplicates, not counted).
  const warm = signed.warm.slice(0, 4_000)
  await target.rows.insertOrders(warm.map((r) => r.orderNo))
  const warmRun = await load({ url: target.url, path: TARGET_PATHS.plugin, requests: warm, seconds: WARMUP_SECONDS, connections: CONNECTIONS, server: target.child })
  const timed = signed.timed.slice(0, Math.min(signed.timed.length, Math.ceil(warmRun.rps * seconds * 2) + 1_000))
  await target.rows.insertOrders(timed.map((r) => r.orderNo))
  const run = await measured(`plugin (${DB_LABELS[db.kind]})`, db.kind, target, 'plugin', 'plugin-m-', timed, seconds)
  return { target, run }
}
