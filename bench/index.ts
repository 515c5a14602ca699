// `npm run bench [-- name ...]`: runs the benchmarks one after another, each in its own
// process (fresh memory and JIT, nothing shared), and lists their verdicts at the end.
// Names: notify, otel, wakeup, instances, delivery, awaiters, leases (default: all, in that order).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const BENCHMARKS = ['notify', 'otel', 'wakeup', 'instances', 'delivery', 'awaiters', 'leases'] as const
type Name = (typeof BENCHMARKS)[number]

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url))

function parseNames(args: string[]): Name[] {
  if (args.length === 0) return [...BENCHMARKS]
  const unknown = args.filter((arg) => !(BENCHMARKS as readonly string[]).includes(arg))
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.join(', ')}`)
    process.exit(64)
  }
  return args as Name[]
}

interface Outcome {
  name: Name
  code: number | null
  seconds: number
  verdicts: Array<{ target: string; pass: boolean }>
}

function runOne(name: Name): Promise<Outcome> {
  const start = performance.now()
  const verdicts: Outcome['verdicts'] = []
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(`./${name}.ts`, import.meta.url))], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let pending = ''
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk)
      pending += chunk.toString('utf8')
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        if (!line.startsWith('BENCH_RESULT ')) continue
        try {
          verdicts.push(...((JSON.parse(line.slice('BENCH_RESULT '.length)) as { targets?: Outcome['verdicts'] }).targets ?? []))
        } catch {
          // printed anyway
        }
      }
    })
    // Ctrl-C reaches the whole foreground group; the benchmark cleans up and exits itself.
    child.on('exit', (code) => resolve({ name, code, seconds: (performance.now() - start) / 1000, verdicts }))
  })
}

const names = parseNames(process.argv.slice(2))
const outcomes: Outcome[] = []
for (const name of names) outcomes.push(await runOne(name))

console.log('\n=== Summary ===')
for (const o of outcomes) {
  const status = o.code === 0 ? 'ran' : `FAILED (exit ${o.code})`
  console.log(`  ${o.name}: ${status} in ${o.seconds.toFixed(0)} s`)
  for (const v of o.verdicts) console.log(`    ${v.pass ? 'PASS' : 'MISS'}  ${v.target}`)
}
process.exit(outcomes.every((o) => o.code === 0) ? 0 : 1)
