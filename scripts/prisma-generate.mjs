// Runs `prisma generate` for each of the project's schemas on
// machines that cannot download Prisma's native schema engine. generate never executes that
// engine, but the CLI checks for it at start-up; pointing PRISMA_SCHEMA_ENGINE_BINARY
// (Prisma's documented override) at any existing file lets it go on offline. An engine the
// user already configured is left alone.
//   node scripts/prisma-generate.mjs                      every schema below, Prisma's output shown
//   node scripts/prisma-generate.mjs --quiet SCHEMA...    only these; output shown only on failure
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'

// The package's three, and the test fixture of a merchant schema with renamed, mapped models.
const SCHEMAS = [
  'prisma/schema.prisma',
  'prisma/mysql/schema.prisma',
  'prisma/sqlite/schema.prisma',
  'test/fixtures/renamed/schema.prisma',
]

const args = process.argv.slice(2)
const quiet = args.includes('--quiet')
const named = args.filter((arg) => arg !== '--quiet')
const unknown = named.filter((schema) => !SCHEMAS.includes(schema))
if (unknown.length > 0) {
  console.error(`prisma-generate: unknown schema ${unknown.join(', ')} (known: ${SCHEMAS.join(', ')})`)
  process.exit(2)
}

const require = createRequire(import.meta.url)
const env = { ...process.env }
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath
env.PRISMA_HIDE_UPDATE_MESSAGE ??= '1'
const cli = require.resolve('prisma/build/index.js')
for (const schema of named.length > 0 ? named : SCHEMAS) {
  const run = spawnSync(process.execPath, [cli, 'generate', '--schema', schema], {
    // Quiet callers (npm start) want their own first line first: Prisma's is kept for a failure.
    stdio: quiet ? 'pipe' : 'inherit',
    encoding: 'utf8',
    env,
  })
  if (run.status !== 0) {
    if (quiet) process.stderr.write(`${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? `${run.error.message}\n` : ''}`)
    process.exit(run.status ?? 1)
  }
}
