// A redis-server of the test's own, on a free port, so that killing and restarting it
// disturbs nobody else (the shared Redis on 6379 is never touched).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { needsServer, REQUIRE_SERVERS, tcpRefusal } from './databases.js'
import { until } from './world.js'

/** Why a test that starts its own redis-server (on a MariaDB world) cannot run here, or undefined. */
export async function ownRedisSkip(server: 'mysql' | 'postgresql' = 'mysql'): Promise<string | undefined> {
  const redisServer = spawnSync('redis-server', ['--version']).status === 0
  return (await needsServer(server)).skip ?? (redisServer || REQUIRE_SERVERS ? undefined : 'redis-server is not installed')
}

export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  return port
}

/** Starts redis-server on `port` and resolves once it accepts connections. */
export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  await until(async () => (await tcpRefusal('127.0.0.1', port, 200)) === null)
  return child
}
