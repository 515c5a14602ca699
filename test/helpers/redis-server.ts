// A redis-server of the test's own on a free port, so that killing it disturbs nobody else
// (the shared Redis on 6379 is never stopped).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import type { Test } from 'tap'
import { needsServer, REQUIRE_SERVERS, tcpRefusal } from './databases.js'
import { until } from './world.js'

/** Whether a redis-server binary is installed here. */
export const hasRedisServer = (): boolean => spawnSync('redis-server', ['--version']).status === 0

/** Skips a test that needs `server` (MariaDB by default) and a redis-server of its own where either is missing. */
export async function redisServerSkip(server: 'mysql' | 'postgresql' = 'mysql'): Promise<string | undefined> {
  return (await needsServer(server)).skip ?? (hasRedisServer() || REQUIRE_SERVERS ? undefined : 'redis-server is not installed')
}

/** A TCP port nothing listens on right now (127.0.0.1). */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  return port
}

/**
 * Starts redis-server on `port` (no persistence) and resolves once it accepts connections;
 * killed at `t`'s teardown when given.
 */
export async function startRedis(port: number, t?: Test): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  t?.teardown(() => void child.kill('SIGKILL'))
  await until(async () => (await tcpRefusal('127.0.0.1', port, 200)) === null)
  return child
}
