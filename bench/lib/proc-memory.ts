// Another process's memory as the kernel counts it, from /proc/<pid>/status: VmRSS (resident
// now) and VmHWM (the resident high-water mark since the process started, so a peak between
// two samples is not missed). Linux only; NaN elsewhere.
import { readFileSync } from 'node:fs'

export interface ProcMemory {
  rssBytes: number
  peakRssBytes: number
}

function field(status: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)
  return match ? Number(match[1]) * 1024 : Number.NaN
}

export function procMemory(pid: number): ProcMemory {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return { rssBytes: field(status, 'VmRSS'), peakRssBytes: field(status, 'VmHWM') }
  } catch {
    return { rssBytes: Number.NaN, peakRssBytes: Number.NaN }
  }
}
