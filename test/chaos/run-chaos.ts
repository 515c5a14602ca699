// A chaos run: three merchant instances (A, B, C; test/chaos/instance.ts, each its own
// process) on one database, the Alipay+ simulator in this process as the gateway (real HTTP,
// real RSA keys) with dropped, repeated and wrongly signed notifications, HTTP 5xx, timeouts
// and altered answers. While orders are fed in, instances are SIGKILLed and restarted; C's
// database connections are stalled (no FIN, no RST) for longer than a delivery claim through a
// TCP proxy; A's wake-up connection (LISTEN, or Redis) is stalled and A is given a SIGTERM in
// the middle of it; B runs with its clock ahead; on Redis, the Redis server itself is killed and
// restarted. Then the storm stops and every result must come in. What happened is judged by
// verdict.ts. Used by the short test (test/chaos/chaos.test.ts) and `npm run chaos`.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { BenchChild } from '../../bench/lib/child.js'
import { type BenchKeys, generateBenchKeys, merchantPems } from '../../bench/lib/keys.js'
import { AMOUNT, CLIENT_ID } from '../../bench/lib/notify-requests.js'
import type { AlipayPlusCommonOptions } from '../../src/index.js'
import { createSimulator, type AlipayPlusSimulator, seededRandom } from '../../src/simulator/index.js'
import { OrderStore } from '../../src/store/order-store.js'
import { startRedis, freePort } from '../helpers/redis-server.js'
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js'
import type { InstanceConfig, RunLine } from './instance.js'
import { type DatabaseStall, handlerRuns, judge, type OrderOutcome, secondsSince, type Signalled, type Verdict } from './verdict.js'
import { childEnv } from '../helpers/child-env.js'

type Defer = (cleanup: () => unknown) => void

export interface ChaosSetup {
  /** Printed with the figures, e.g. "PostgreSQL, LISTEN/NOTIFY". */
  label: string
  /** A migrated database on a local server (postgresql:// or mysql://). */
  databaseUrl: string
  /** The harness's own client on it, to create orders and read them back. */
  prisma: object
  /** The wake-up channel: LISTEN/NOTIFY on that PostgreSQL database, or a Redis of the run's own. */
  wakeup: 'postgres' | 'redis'
}

export interface ChaosPlan {
  orders: number
  /** Orders fed in per second, while the faults happen. */
  feedPerSecond: number
  /** A SIGKILL of a random instance, then its restart, every gapMs; `count` of them, or until the feed ends. */
  kills: { gapMs: [number, number]; count?: number }
  /** How long one onPaymentResult run works. */
  handlerMs: [number, number]
  /** The delivery claim (delivery.leaseMs) of every instance. */
  deliveryLeaseMs: number
  /** How long C's database connections are stalled; longer than deliveryLeaseMs on purpose. */
  dbStallMs: number
  /** How long A's wake-up connection is stalled (A gets its SIGTERM 2 s in). */
  wakeStallMs: number
  /** How far B's clock runs ahead of the others'. */
  clockOffsetMs: number
  /** After the storm, how long every result may take to come in before the rest counts as lost. */
  patienceMs: number
  /**
   * Past this, a SIGTERM's close is judged hung and the process SIGKILLed (a failed check).
   * Not a speed target: how long each close took is reported, never asserted.
   */
  closePatienceMs: number
  seed: number
  /** Progress lines (the long form prints them; the test does not). */
  log?: (line: string) => void
}

export interface CloseTiming {
  instance: string
  pid: number
  /** From the SIGTERM to the exit; undefined when the process had to be SIGKILLed. */
  ms: number | undefined
  during: 'wake-up stall' | 'final stop'
  /** During the wake-up stall: whether the process exited while its connection was still stalled. */
  exitedDuringStall?: boolean
}

export interface ChaosReport {
  label: string
  plan: ChaosPlan
  verdict: Verdict
  kills: number
  closes: CloseTiming[]
  redisRestarts: number
  /** Every order final, correct and delivered by the end of the patience. */
  settled: boolean
  seconds: { storm: number; drain: number }
  notifications: { scheduled: number; sent: number; acknowledged: number; dropped: number; exhausted: number; pending: number; duplicated: number }
  inquiries: { received: number; answered: Record<string, number>; tampered: number }
  /** awaitPaymentResult rejections on the instances, by error code (counted until each process ended). */
  waiterErrors: Record<string, number>
  /** The faults as they happened, in seconds since the storm began (the times in the verdict's descriptions). */
  timeline: string[]
  /** Notification attempts the gateway saw fail, by reason (from its log). */
  notifyFailures: Record<string, number>
  /** Instance starts that failed (and were tried again), with the first line of the reason. */
  startFailures: string[]
}

const INSTANCE_SCRIPT = '../test/chaos/instance.ts'
const CLOCK_PRELOAD = fileURLToPath(new URL('./clock-offset.ts', import.meta.url))
const LABELS = ['A', 'B', 'C'] as const
const REQUEST_TIMEOUT_MS = 1_500
const MAX_START_ATTEMPTS = 10
/** A's SIGTERM comes this long into its wake-up stall: the rest of the stall is what its close must not wait for. */
const WAKE_STALL_BEFORE_SIGTERM_MS = 2_000

interface Slot {
  label: (typeof LABELS)[number]
  child: BenchChild | undefined
  notifyUrl: string | undefined
  /** Set while a kill or a SIGTERM restart has this slot. */
  busy: boolean
  /** Kept from the killer (A, around its SIGTERM during the wake-up stall). */
  reserved: boolean
}

/** `url` with its port (and host) replaced: the same database or server, through a proxy. */
function via(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url)
  parsed.hostname = '127.0.0.1'
  parsed.port = String(proxy.port)
  return parsed.toString()
}

function target(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url)
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || defaultPort) }
}

export async function runChaos(setup: ChaosSetup, plan: ChaosPlan, defer: Defer): Promise<ChaosReport> {
  const log = plan.log ?? (() => {})
  // Stops the run's loops when it fails half-way, so that nothing goes on restarting instances.
  const halt = new AbortController()
  defer(() => halt.abort())
  const random = seededRandom(plan.seed)
  const between = ([min, max]: [number, number]) => min + random() * (max - min)
  const keys: BenchKeys = await generateBenchKeys()
  const runDir = await mkdtemp(join(tmpdir(), 'fap-chaos-'))
  defer(() => rm(runDir, { recursive: true, force: true }))

  // Why the gateway's notification attempts were not acknowledged, read from its own log.
  const notifyFailures: Record<string, number> = {}
  const simLog = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (!text.includes('notifyPayment')) continue
        const entry = JSON.parse(text) as { msg: string; status?: number; reason?: string; error?: string; cause?: string }
        const why = `${entry.msg.replace(/^simulator: notifyPayment /, '')}${entry.status ? ` ${entry.status}` : ''}${entry.reason ? ` ${entry.reason}` : ''}${entry.error ? `: ${entry.error}` : ''}${entry.cause ? ` (${entry.cause})` : ''}`
        notifyFailures[why] = (notifyFailures[why] ?? 0) + 1
      }
      done()
    },
  })
  // The gateway: short redeliveries so that a notification to a dead instance comes again soon.
  const sim: AlipayPlusSimulator = createSimulator({
    logger: { level: 'info', stream: simLog },
    clientId: CLIENT_ID,
    callerClientIds: LABELS.map((label) => `CHAOS_${label}`),
    merchantPublicKey: keys.merchant.publicPem,
    alipayPrivateKey: keys.alipay.privatePem,
    redeliveryScheduleMs: [0, 1_000, 3_000, 8_000, 20_000],
    seed: plan.seed,
    faults: {
      notifyDropRate: 0.2,
      notifyDuplicateRate: 0.1,
      notifyWrongKeyRate: 0.05,
      inquiry5xxRate: 0.05,
      inquiryUnknownRate: 0.05,
      inquiryTamperRate: 0.02,
    },
  })
  const simUrl = await sim.listen()
  defer(() => sim.close())

  // C's database through a proxy, A's wake-up connection through another.
  const dbProxy = await startTcpProxy(target(setup.databaseUrl, setup.wakeup === 'postgres' ? 5432 : 3306))
  defer(() => dbProxy.close())
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined
  let redisUrl: string | undefined
  let redisPort = 0
  if (setup.wakeup === 'redis') {
    redisPort = await freePort()
    redis = await startRedis(redisPort)
    redisUrl = `redis://127.0.0.1:${redisPort}`
    defer(() => void redis?.kill('SIGKILL'))
  }
  const wakeTarget = setup.wakeup === 'postgres' ? target(setup.databaseUrl, 5432) : { host: '127.0.0.1', port: redisPort }
  const wakeProxy = await startTcpProxy(wakeTarget)
  defer(() => wakeProxy.close())
  const channel = `chaos_${plan.seed}_${Date.now().toString(36)}`

  const configOf = (label: Slot['label']): InstanceConfig => {
    const direct = setup.wakeup === 'postgres' ? setup.databaseUrl : redisUrl!
    const wakeUrl = label === 'A' ? via(direct, wakeProxy) : direct
    const plugin: Partial<AlipayPlusCommonOptions> = {
      // One Client-Id per instance: the simulator logs who asked; notifications still carry the merchant's.
      clientId: `CHAOS_${label}`,
      notifyClientIds: [CLIENT_ID],
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      leaseMarginMs: 4_000,
      maxInquiriesPerSecond: 200,
      polling: { minTimeoutMs: 300, maxTimeoutMs: 2_000, factor: 2, randomize: true, maxRetryTimeMs: 120_000 },
      reconcile: { intervalMs: 2_000, minAgeMs: 3_000, batchSize: 100 },
      delivery: { leaseMs: plan.deliveryLeaseMs, sweepIntervalMs: 1_000, minTimeoutMs: 200, maxTimeoutMs: 2_000 },
      wakeup: setup.wakeup === 'postgres' ? { postgres: wakeUrl, channel } : { redis: wakeUrl, channel },
    }
    return {
      instance: label,
      databaseUrl: label === 'C' ? via(setup.databaseUrl, dbProxy) : setup.databaseUrl,
      gatewayUrl: simUrl,
      runLog: join(runDir, `runs-${label}.jsonl`),
      handlerMs: plan.handlerMs,
      plugin,
      ...merchantPems(keys),
    }
  }

  const slots: Slot[] = LABELS.map((label) => ({ label, child: undefined, notifyUrl: undefined, busy: false, reserved: false }))
  const signalled = new Map<number, Signalled>()
  const closes: CloseTiming[] = []
  /** True while A's wake-up connection is stalled (its SIGTERM's close must not wait for it). */
  let wakeStalled = false
  /** C's database stall, for the judge: a run completed in it cannot be marked delivered. */
  const dbStalls: DatabaseStall[] = []
  const waiterErrors: Record<string, number> = {}
  let kills = 0
  let origin = process.hrtime.bigint()
  const timeline: string[] = []
  const event = (what: string) => {
    timeline.push(`${secondsSince(origin, process.hrtime.bigint())} ${what}`)
    log(what)
  }

  // A start that fails (e.g. the plugin's ready times out on a stalled wake-up connection) is
  // counted and tried again, as a process supervisor would; the failed process is killed first.
  const startFailures: string[] = []
  const startSlot = async (slot: Slot) => {
    const env = { ...childEnv(), CHAOS_CLOCK_OFFSET_MS: slot.label === 'B' ? String(plan.clockOffsetMs) : '0' }
    for (let attempt = 1; ; attempt++) {
      const child = await BenchChild.start(INSTANCE_SCRIPT, `chaos ${slot.label}`, { execArgv: ['--import', CLOCK_PRELOAD], env })
      defer(() => child.signal('SIGKILL'))
      try {
        const { notifyUrl } = await child.call<{ notifyUrl: string }>('start', configOf(slot.label))
        slot.child = child
        slot.notifyUrl = notifyUrl
        return
      } catch (error) {
        const reason = (error as Error).message.split('\n')[0]!
        startFailures.push(`${slot.label}: ${reason}`)
        event(`${slot.label} failed to start (pid ${child.pid}): ${reason}`)
        const at = process.hrtime.bigint()
        child.signal('SIGKILL')
        await child.exited
        signalled.set(child.pid!, { pid: child.pid!, signal: 'SIGKILL', at, exitedAt: process.hrtime.bigint() })
        if (attempt === MAX_START_ATTEMPTS || halt.signal.aborted) throw error
        await sleep(1_000)
      }
    }
  }
  const live = () => slots.filter((slot) => slot.child !== undefined && slot.notifyUrl !== undefined)
  const pick = <T>(items: T[]): T | undefined => items[Math.floor(random() * items.length)]
  // The gateway's notify URL is the load balancer: a live instance, changed at every payment.
  const routeNotifications = () => {
    const slot = pick(live())
    if (slot) sim.setNotifyUrl(slot.notifyUrl)
  }
  const collectWaiterErrors = async (child: BenchChild) => {
    const counts = await child.call<Record<string, number>>('waiterErrors').catch(() => ({}) as Record<string, number>)
    for (const [code, n] of Object.entries(counts)) waiterErrors[code] = (waiterErrors[code] ?? 0) + n
  }
  /** Takes the slot's process down with `signal` and records when; a SIGTERM's close is timed. */
  const stop = async (slot: Slot, signal: 'SIGKILL' | 'SIGTERM', during: CloseTiming['during']) => {
    const child = slot.child!
    const pid = child.pid!
    slot.child = undefined
    slot.notifyUrl = undefined
    routeNotifications()
    if (signal === 'SIGTERM') await collectWaiterErrors(child)
    const at = process.hrtime.bigint()
    child.signal(signal)
    let finished = true
    if (signal === 'SIGTERM') {
      // Past its patience, the close is judged hung and the process killed.
      const patience = new AbortController()
      const overdue = sleep(plan.closePatienceMs, 'overdue' as const, { signal: patience.signal }).catch(() => 'exited' as const)
      finished = (await Promise.race([child.exited.then(() => 'exited' as const), overdue])) === 'exited'
      patience.abort()
      const ms = Number(process.hrtime.bigint() - at) / 1e6
      const close: CloseTiming = { instance: slot.label, pid, ms: finished ? ms : undefined, during }
      if (during === 'wake-up stall') close.exitedDuringStall = finished && wakeStalled
      closes.push(close)
      if (!finished) {
        event(`${slot.label} (pid ${pid}) did not close within ${plan.closePatienceMs} ms of its SIGTERM: SIGKILL`)
        child.signal('SIGKILL')
      }
    }
    await child.exited
    // A SIGTERM that had to be finished by a SIGKILL counts as a kill from that moment.
    signalled.set(pid, { pid, signal: finished ? signal : 'SIGKILL', at: finished ? at : process.hrtime.bigint(), exitedAt: process.hrtime.bigint() })
  }
  const restart = async (slot: Slot, signal: 'SIGKILL' | 'SIGTERM', during: CloseTiming['during'] = 'final stop') => {
    slot.busy = true
    try {
      await stop(slot, signal, during)
      await startSlot(slot)
      routeNotifications()
    } finally {
      slot.busy = false
    }
  }

  for (const slot of slots) await startSlot(slot)
  routeNotifications()
  log(`${setup.label}: A, B, C started (B's clock ${plan.clockOffsetMs} ms ahead)`)

  // ------------------------------------------------------------------ the storm
  const store = OrderStore.fromClient(setup.prisma)
  const orderNos = Array.from({ length: plan.orders }, (_, i) => `chaos-${plan.seed}-${i}`)
  const slowOrders: string[] = []
  const completions: Array<Promise<void>> = []
  let fed = 0
  let feeding = true
  const stormStart = performance.now()
  origin = process.hrtime.bigint()

  const feed = async () => {
    // Paced by the clock, not by sleeps after each order: a slow moment is caught up after.
    const feedStart = performance.now()
    for (const orderNo of orderNos) {
      if (halt.signal.aborted) return
      await sleep(Math.max(0, feedStart + (fed * 1_000) / plan.feedPerSecond - performance.now()))
      await store.createOrder({ orderNo, amount: AMOUNT })
      sim.createPayment({ paymentRequestId: orderNo, amount: AMOUNT })
      // Some payments time out at the gateway for every inquiry until the storm ends.
      if (random() < 0.05) {
        sim.setPaymentFaults(orderNo, { inquirySlowMs: REQUEST_TIMEOUT_MS + 1_000 })
        slowOrders.push(orderNo)
      }
      const waiter = pick(live())
      void waiter?.child?.call('awaitOrders', [orderNo]).catch(() => {})
      const status = random() < 0.8 ? 'SUCCESS' : 'FAIL'
      completions.push(
        sleep(between([300, 3_000])).then(() => {
          routeNotifications()
          sim.completePayment(orderNo, { status })
        }),
      )
      fed++
    }
    feeding = false
  }
  const fedAtLeast = async (share: number) => {
    while (feeding && fed < plan.orders * share && !halt.signal.aborted) await sleep(50)
  }

  const killer = async () => {
    // Kills do not wait for the last one's restart, but one instance at least stays up.
    const restarts: Array<Promise<void>> = []
    while ((plan.kills.count === undefined ? feeding : kills < plan.kills.count) && !halt.signal.aborted) {
      await sleep(between(plan.kills.gapMs))
      const up = slots.filter((s) => !s.busy && s.child)
      const slot = pick(up.filter((s) => !s.reserved))
      if (up.length < 2 || !slot) continue
      kills++
      event(`SIGKILL ${slot.label} (pid ${slot.child!.pid}) at order ${fed}/${plan.orders}`)
      const restarted = restart(slot, 'SIGKILL').then(() => event(`${slot.label} back (pid ${slot.child?.pid})`))
      restarted.catch(() => {}) // awaited below, with the others
      restarts.push(restarted)
    }
    await Promise.all(restarts)
  }

  let redisRestarts = 0
  const faults = async () => {
    await fedAtLeast(0.2)
    const stalledPid = slots[2]!.child?.pid
    event(`C's database connections stalled (pid ${stalledPid})`)
    const stallFrom = process.hrtime.bigint()
    dbProxy.stall()
    await sleep(plan.dbStallMs)
    dbProxy.resume()
    if (stalledPid !== undefined) dbStalls.push({ pid: stalledPid, from: stallFrom, to: process.hrtime.bigint() })
    event("C's database connections restored")

    await fedAtLeast(0.45)
    // A is kept from the killer from here on, and the stall starts once A is up: its SIGTERM
    // must come during the stall, and a restart of A must not be what waits for the stall.
    const a = slots[0]!
    a.reserved = true
    while ((a.busy || !a.child) && !halt.signal.aborted) await sleep(50)
    event("A's wake-up connection stalled")
    wakeProxy.stall()
    wakeStalled = true
    // The stall ends on time, whatever A is doing.
    const stallOver = sleep(plan.wakeStallMs).then(() => {
      wakeStalled = false
      wakeProxy.resume()
      event("A's wake-up connection restored")
    })
    await sleep(WAKE_STALL_BEFORE_SIGTERM_MS)
    event(`SIGTERM A (pid ${a.child?.pid})`)
    // Its restart is not awaited before the stall ends: the new A's wake-up connection waits for it too.
    const restarting = restart(a, 'SIGTERM', 'wake-up stall').then(() => event(`A back (pid ${a.child?.pid})`))
    restarting.catch(() => {}) // awaited below
    await stallOver
    await restarting
    a.reserved = false

    if (redis) {
      await fedAtLeast(0.7)
      event('Redis server SIGKILLed')
      redis.kill('SIGKILL')
      await new Promise((resolve) => redis!.once('exit', resolve))
      await sleep(2_000)
      redis = await startRedis(redisPort)
      redisRestarts++
      event('Redis server restarted')
    }
  }

  try {
    await Promise.all([feed(), killer(), faults()])
  } catch (error) {
    halt.abort()
    throw error
  }
  await Promise.all(completions)
  const stormSeconds = (performance.now() - stormStart) / 1000

  // ------------------------------------------------------------------ after the storm
  // Everything back to normal: every result must now come in.
  dbProxy.resume()
  wakeProxy.resume()
  for (const orderNo of slowOrders) sim.setPaymentFaults(orderNo, { inquirySlowMs: 0 })
  sim.setFaults({ inquiry5xxRate: 0, inquiryUnknownRate: 0, inquiryTamperRate: 0 })
  event(`storm over (${kills} kills): gateway faults off, waiting for every result`)
  const drainStart = performance.now()
  const outcomes = async (): Promise<OrderOutcome[]> => {
    const rows = new Map((await store.getOrders(orderNos)).map((row) => [row.orderNo, row]))
    return orderNos.map((orderNo) => {
      const row = rows.get(orderNo)
      return { orderNo, gateway: sim.getPayment(orderNo)!.status, recorded: row?.status ?? 'missing', delivered: row?.deliveredAt != null }
    })
  }
  const settledNow = (list: OrderOutcome[]) => list.every((o) => o.recorded === o.gateway && o.delivered)
  let final = await outcomes()
  while (!settledNow(final) && performance.now() - drainStart < plan.patienceMs) {
    await sleep(500)
    final = await outcomes()
  }
  const settled = settledNow(final)
  const drainSeconds = (performance.now() - drainStart) / 1000
  event(`${settled ? 'every result in' : 'patience exhausted'} after ${drainSeconds.toFixed(0)} s: stopping A, B, C with SIGTERM`)

  // A deploy's stop, all three at once; runs still going are cut by it.
  await Promise.all(slots.map((slot) => stop(slot, 'SIGTERM', 'final stop')))

  // ------------------------------------------------------------------ judgement
  const lines: RunLine[] = []
  for (const file of await readdir(runDir)) {
    const text = await readFile(join(runDir, file), 'utf8')
    for (const line of text.split('\n')) if (line !== '') lines.push(JSON.parse(line) as RunLine)
  }
  const runs = handlerRuns(lines, [...signalled.values()])
  const verdict = judge(final, runs, sim.inquiryArrivals(), origin, dbStalls)
  const stats = sim.stats()
  return {
    label: setup.label,
    plan,
    verdict,
    kills,
    closes,
    redisRestarts,
    settled,
    seconds: { storm: stormSeconds, drain: drainSeconds },
    notifications: {
      scheduled: stats.notifications.scheduled,
      sent: stats.notifications.sent,
      acknowledged: stats.notifications.acknowledged,
      dropped: stats.notifications.dropped,
      exhausted: stats.notifications.exhausted,
      pending: stats.notifications.pending,
      duplicated: stats.notifications.sent - Object.values(stats.notifications.byPayment).reduce((n, p) => n + p.attempts, 0),
    },
    inquiries: { received: stats.inquiries.received, answered: stats.inquiries.answered as Record<string, number>, tampered: stats.inquiries.tampered },
    waiterErrors,
    timeline,
    startFailures,
    notifyFailures,
  }
}
