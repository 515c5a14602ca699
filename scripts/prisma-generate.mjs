// Runs `prisma generate` on machines that cannot download Prisma's native schema engine.
// generate never executes that engine, but the CLI checks for it at start-up; pointing
// PRISMA_SCHEMA_ENGINE_BINARY (Prisma's documented override) at any existing file lets it
// go on offline. An engine the user already configured is left alone.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const env = { ...process.env }
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath
env.PRISMA_HIDE_UPDATE_MESSAGE ??= '1'
const cli = require.resolve('prisma/build/index.js')
const { status } = spawnSync(process.execPath, [cli, 'generate'], { stdio: 'inherit', env })
process.exit(status ?? 1)
