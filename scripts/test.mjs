// npm test and npm run test:all: the static checks (type-check, type tests, lint) beside one
// tier of the tap suite (scripts/test-tier.mjs), not before it. The checks take about 25 core-s
// and run one after another on one core; before the tier they left the other core idle for
// their 15-20 s, the longest wait of `npm test`.
//
//   node scripts/test.mjs fast|all [tap options]
//
// A failing check stops the tier and prints its output at once; checks that pass print one
// line each after the tier. The exit code is non-zero when a check or the tier failed.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { packageBin } from './package-bin.mjs'

const CHECKS = [
  // Incremental: a run after a small change re-checks what it touches (the state is a cache, as is ESLint's).
  { name: 'type-check', command: process.execPath, args: [packageBin('typescript', 'tsc'), '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/tsc/tsconfig.tsbuildinfo'] },
  { name: 'type tests', command: process.execPath, args: [packageBin('tstyche')] },
  // `npm run lint` as package.json defines it, so the two never differ.
  { name: 'lint', command: 'npm', args: ['run', '-s', 'lint'] },
]

const [tierName, ...tapArgs] = process.argv.slice(2)
const tier = spawn(process.execPath, [join(import.meta.dirname, 'test-tier.mjs'), tierName ?? '', ...tapArgs], { stdio: 'inherit' })
const tierDone = new Promise((resolve) => tier.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0))))

const passed = []
for (const check of CHECKS) {
  const started = performance.now()
  const { code, output } = await run(check.command, check.args)
  if (code !== 0) {
    tier.kill('SIGTERM')
    await tierDone
    process.stdout.write(`\n${output}\n${check.name} failed: the tier was stopped\n`)
    process.exit(1)
  }
  passed.push(`${check.name} passed (${((performance.now() - started) / 1000).toFixed(1)} s)`)
}
const tierCode = await tierDone
process.stdout.write(`\n${passed.join('\n')}\n`)
process.exit(tierCode)

/** Runs one check with its output kept: stdout and stderr in the order written. */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => { output += chunk })
    child.stderr.on('data', (chunk) => { output += chunk })
    child.on('error', (error) => resolve({ code: 1, output: `${output}${error.message}\n` }))
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }))
  })
}
