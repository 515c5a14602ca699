// Builds what the awaiters benchmark's merchant process runs: dist/ (npm run build) and
// bench/compiled/ with the generated Prisma client into .bench-build/ (tsc), so that the
// figures are those of the JavaScript a user deploys, not of code transpiled by tsx on load.
// Run at the start of the benchmark; build output is not committed.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc')

/** The compiled merchant entry, to run with plain `node`. */
export const COMPILED_MERCHANT = fileURLToPath(new URL('../../.bench-build/bench/compiled/awaiters-merchant.js', import.meta.url))

function run(args: string[]): void {
  const { status } = spawnSync(process.execPath, args, { cwd: REPO_ROOT, stdio: 'inherit' })
  if (status !== 0) throw new Error(`build step failed (exit ${status}): node ${args.join(' ')}`)
}

export function buildCompiledMerchant(): void {
  const start = performance.now()
  run(['-e', "require('node:fs').rmSync('dist', { recursive: true, force: true })"])
  run([TSC, '-p', 'tsconfig.build.json'])
  run([TSC, '-p', 'bench/compiled/tsconfig.json'])
  console.log(`  built dist/ and .bench-build/ in ${((performance.now() - start) / 1000).toFixed(1)} s`)
}
