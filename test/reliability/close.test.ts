// fastify.close() stops every loop and timer, settles every waiter and leaves no handle open:
// a process that closes its app (with waiters pending and the reconciler running) exits alone.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { createEmptyPostgres, needsServer } from '../helpers/databases.js'
import { PrismaClient } from '../../generated/prisma/client.js'
import { openDatabase } from '../../src/database/open-database.js'
import { childEnv } from '../helpers/child-env.js'

// These run on PostgreSQL: skipped, saying why, where no server can be reached.
const PG = await needsServer('postgresql')

t.test('a closed app leaves nothing running', PG, async (t) => {
  const url = await createEmptyPostgres(t)
  await (await openDatabase({ PrismaClient, databaseUrl: url })).close() // migrate
  const fixture = fileURLToPath(new URL('./fixtures/close-app.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...childEnv(), FIXTURE_DATABASE_URL: url },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  // Generous: the child needs a few seconds to start; a leaked handle would keep it alive forever.
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const [code, signal] = await once(child, 'exit')
  clearTimeout(killer)
  t.same([code, signal], [0, null], 'the process exited by itself')
  const report = JSON.parse(output.trim().split('\n').pop() ?? '{}') as { codes: string[]; active: string[] }
  t.equal(report.codes.length, 20)
  t.ok(report.codes.every((c) => c === 'FST_ALIPAYPLUS_CLOSED'), 'every waiter settled with FST_ALIPAYPLUS_CLOSED')
  // Sockets may still be finishing their close at that instant; timers must already be gone.
  t.notOk(report.active.includes('Timeout'), 'no timer left right after close')
})
