// Report pieces shared by the benchmarks whose merchant app runs in a child process and whose
// phases each send a batch of notifications (wakeup, delivery): the CPU table and the JSON
// shapes of a latency summary and of a CPU split.
import { CORES, type CpuSplit } from './cpu.js'
import { note, round, type Summary, table } from './report.js'

/** Where the cores went while each phase was sending. */
export function cpuTable(phases: Array<{ label: string; cpu: CpuSplit }>): void {
  table([
    [`CPU while sending (cores, of ${CORES})`, 'machine', 'merchant app', 'PostgreSQL', 'sender + simulator', 'other'],
    ...phases.map((p) => [p.label, p.cpu.machine, p.cpu.server, p.cpu.postgres, p.cpu.self, p.cpu.other]),
  ])
  note('other: processes that are not part of the benchmark; above ~0.2 core the figures are disturbed.')
}

export function cpuJson(cpu: CpuSplit): Record<string, number> {
  return { machine: round(cpu.machine), app: round(cpu.server), postgres: round(cpu.postgres), sender: round(cpu.self), other: round(cpu.other) }
}

export function summaryJson(s: Summary): Record<string, number> {
  return { n: s.n, p50: round(s.p50, 3), p90: round(s.p90, 3), p95: round(s.p95, 3), p99: round(s.p99, 3), max: round(s.max, 3), mean: round(s.mean, 3) }
}
