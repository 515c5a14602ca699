// Output of every benchmark: a compact human table, PASS/MISS against each target, and one
// machine-readable line, `BENCH_RESULT {...}`, to copy figures from.

export interface Summary {
  n: number
  mean: number
  p50: number
  p90: number
  p95: number
  p99: number
  max: number
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b)
  const mean = sorted.reduce((sum, v) => sum + v, 0) / (sorted.length || 1)
  return {
    n: sorted.length,
    mean,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  }
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

export function heading(text: string): void {
  console.log(`\n=== ${text} ===`)
}

export function note(text: string): void {
  console.log(`  ${text}`)
}

/** Rows of cells, the first row being the header; columns padded to their widest cell. */
export function table(rows: Array<Array<string | number>>): void {
  const cells = rows.map((row) => row.map((cell) => (typeof cell === 'number' ? String(round(cell)) : cell)))
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)))
  const line = (row: string[]) => `  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`
  console.log(line(cells[0]!))
  console.log(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`)
  for (const row of cells.slice(1)) console.log(line(row))
}

export interface Verdict {
  target: string
  value: number
  limit: number
  pass: boolean
}

/** Prints and returns one PASS/MISS line. */
export function verdict(target: string, value: number, op: '<=' | '>=', limit: number, unit = ''): Verdict {
  const pass = op === '<=' ? value <= limit : value >= limit
  console.log(`  ${pass ? 'PASS' : 'MISS'}  ${target}: ${round(value)}${unit} (target ${op} ${limit}${unit})`)
  return { target, value: round(value, 3), limit, pass }
}

export function benchResult(bench: string, result: Record<string, unknown>): void {
  console.log(`BENCH_RESULT ${JSON.stringify({ bench, date: new Date().toISOString(), ...result })}`)
}
