// A redis-server of the test's own on a free port, so that killing it disturbs nobody else
// (the shared Redis on 6379 is never stopped).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { tcpRefusal } from './databases.js'
import { until } from './world.js'

/** Whether a redis-server binary is installed here. */
export const hasRedisServer = (): boolean => spawnSync('redis-server', ['--version']).status === 0

/** A TCP port nothing listens on right now (127.0.0.1). */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  return port
}

/** Starts redis-server on `port` (no persistence) and resolves once it accepts connections. */
export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  await until(async () => (await tcpRefusal('127.0.0.1', port, 200)) === null)
  return child
}
