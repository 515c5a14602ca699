// Where the cores went during a timed run, all as "cores busy" over the same interval: the
// whole machine (/proc/stat), PostgreSQL's processes (/proc/<pid>/stat of every "postgres"),
// MariaDB's server ("mariadbd" or "mysqld"),
// this process (process.cpuUsage) and, given by the caller, a child server process. What is
// left is other processes: load that is not ours and disturbs the figures.
import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { sleep } from './lifecycle.js'

export const CORES = availableParallelism()

interface Ticks {
  busy: number
  total: number
  /** CPU ticks of each PostgreSQL process, by pid (a backend that exits meanwhile is lost, not negative). */
  postgres: Map<string, number>
  /** The same for MariaDB/MySQL's server process. */
  mariadb: Map<string, number>
}

const MARIADB_NAMES: ReadonlySet<string> = new Set(['mariadbd', 'mysqld'])

function readTicks(): Ticks {
  let busy = 0
  let total = 0
  const postgres = new Map<string, number>()
  const mariadb = new Map<string, number>()
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields
    busy = user + nice + system + irq + softirq + steal
    total = busy + idle + iowait
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        const close = stat.lastIndexOf(')')
        const comm = stat.slice(stat.indexOf('(') + 1, close)
        const into = comm === 'postgres' ? postgres : MARIADB_NAMES.has(comm) ? mariadb : undefined
        if (!into) continue
        const rest = stat.slice(close + 2).split(' ')
        // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after "pid (comm) ".
        into.set(pid, Number(rest[11]) + Number(rest[12]))
      } catch {
        // the process ended meanwhile
      }
    }
  } catch {
    // not Linux: figures stay NaN
  }
  return { busy, total, postgres, mariadb }
}

function delta(now: Map<string, number>, before: Map<string, number>): number {
  let ticks = 0
  for (const [pid, value] of now) ticks += value - (before.get(pid) ?? 0)
  return ticks
}

export interface CpuSplit {
  machine: number
  postgres: number
  mariadb: number
  /** This process. */
  self: number
  /** The child server process, when one was given. */
  server: number
  /** Everything else: other processes on the machine (and the kernel's share not charged to a process). */
  other: number
}

export class CpuMeter {
  readonly #ticks = readTicks()
  readonly #self = process.cpuUsage()
  readonly #start = performance.now()

  /** `serverMicros`: CPU time (µs) the child server used over the same interval, if any. */
  stop(serverMicros = 0): CpuSplit {
    const ticks = readTicks()
    const wallMs = performance.now() - this.#start
    const self = process.cpuUsage(this.#self)
    const totalTicks = ticks.total - this.#ticks.total
    // Jiffies per core over the interval, whatever the clock tick rate.
    const perCore = totalTicks / CORES
    const machine = totalTicks > 0 ? (ticks.busy - this.#ticks.busy) / perCore : Number.NaN
    const postgres = totalTicks > 0 ? delta(ticks.postgres, this.#ticks.postgres) / perCore : Number.NaN
    const mariadb = totalTicks > 0 ? delta(ticks.mariadb, this.#ticks.mariadb) / perCore : Number.NaN
    const selfCores = (self.user + self.system) / 1000 / wallMs
    const server = serverMicros / 1000 / wallMs
    return { machine, postgres, mariadb, self: selfCores, server, other: machine - postgres - mariadb - selfCores - server }
  }
}

export function cpuMicros(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system
}

/**
 * Waits (up to `maxWaitMs`) until the machine is quiet: less than `threshold` cores busy over
 * one second. Returns the busy cores of the last sample, so a run on a busy machine says so.
 */
export async function waitForQuiet(maxWaitMs = 20_000, threshold = 0.3): Promise<number> {
  const end = Date.now() + maxWaitMs
  let warned = false
  for (;;) {
    const meter = new CpuMeter()
    await sleep(1_000)
    const busy = meter.stop().machine
    if (!(busy >= threshold) || Date.now() >= end) {
      if (warned || busy >= threshold) console.log(`  machine ${busy >= threshold ? 'still busy' : 'quiet'}: ${busy.toFixed(2)} cores busy`)
      return busy
    }
    if (!warned) console.log(`  waiting for the machine to be quiet (${busy.toFixed(2)} cores busy by other processes)...`)
    warned = true
  }
}
