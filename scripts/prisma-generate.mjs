// Runs `prisma generate` for each of the project's schemas on
// machines that cannot download Prisma's native schema engine. generate never executes that
// engine, but the CLI checks for it at start-up; pointing PRISMA_SCHEMA_ENGINE_BINARY
// (Prisma's documented override) at any existing file lets it go on offline. An engine the
// user already configured is left alone.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'

// The package's three, and the test fixture of a merchant schema with renamed, mapped models.
const SCHEMAS = [
  'prisma/schema.prisma',
  'prisma/mysql/schema.prisma',
  'prisma/sqlite/schema.prisma',
  'test/fixtures/renamed/schema.prisma',
]

const require = createRequire(import.meta.url)
const env = { ...process.env }
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath
env.PRISMA_HIDE_UPDATE_MESSAGE ??= '1'
const cli = require.resolve('prisma/build/index.js')
for (const schema of SCHEMAS) {
  const { status } = spawnSync(process.execPath, [cli, 'generate', '--schema', schema], { stdio: 'inherit', env })
  if (status !== 0) process.exit(status ?? 1)
}
