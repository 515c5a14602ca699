// Worlds of several merchant instances on one database for the wake-up tests: instance B
// answers every notification, the others only await. Their polling ticks are ten minutes
// apart, so a waiter on another instance that resolves at all was woken by the wake-up.
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import type { WakeupOptions } from '../../src/wakeup/wakeup-options.js'
import { type Backend, backendNamed, REDIS_URL } from './databases.js'
import { NOTIFY_PATH } from './notify-request.js'
import { buildWorld, type World } from './world.js'

export const TEN_MINUTE_TICKS = { minTimeoutMs: 600_000, maxTimeoutMs: 600_000, factor: 1, randomize: false, maxRetryTimeMs: 1_200_000 }

export interface WakeupSetup {
  label: string
  backend: Backend
  /** What each instance of a world is given, from the world's database URL. */
  wakeup(databaseUrl: string | undefined): WakeupOptions
  needsRedis?: boolean
}

/** A channel name of its own, so that test files running at once never hear each other. */
export const uniqueChannel = () => `t_${randomBytes(6).toString('hex')}`

export const SETUPS: readonly WakeupSetup[] = [
  { label: 'PostgreSQL, LISTEN/NOTIFY', backend: backendNamed('postgresql'), wakeup: (url) => ({ postgres: url!, channel: uniqueChannel() }) },
  { label: 'MariaDB, Redis pub/sub', backend: backendNamed('mysql'), wakeup: () => ({ redis: REDIS_URL, channel: uniqueChannel() }), needsRedis: true },
  { label: 'SQLite, database poll', backend: backendNamed('sqlite'), wakeup: () => ({ pollMs: 50 }) },
]

export interface Instances {
  world: World
  /** instances[1] (B) receives the notifications. */
  instances: FastifyInstance[]
}

export async function buildInstances(t: Test, count: number, backendOf: Backend, wakeup: (url: string | undefined) => WakeupOptions): Promise<Instances> {
  // One channel for all instances of this world: resolved once.
  let options: WakeupOptions | undefined
  const world = await buildWorld(t, {
    backend: backendOf,
    listen: false,
    app: ({ url }) => ({ polling: TEN_MINUTE_TICKS, requestTimeoutMs: 15_000, wakeup: (options ??= wakeup(url)) }),
  })
  const instances = [world.app]
  for (let i = 1; i < count; i++) instances.push(await world.addApp())
  const receiverUrl = await instances[1]!.listen({ port: 0, host: '127.0.0.1' })
  world.sim.setNotifyUrl(`${receiverUrl}${NOTIFY_PATH}`)
  return { world, instances }
}

/** Resolves with `promise`, or fails after a wait far longer than any wake-up on a loaded machine. */
export function withinPatience<T>(promise: Promise<T>, what: string, ms = 30_000): Promise<T> {
  return resolvesWithin(promise, ms, `${what}: not woken within ${ms} ms (its next polling tick is 10 minutes away)`)
}

/** Resolves with `promise`, or rejects with `failure` after `ms`: a watchdog, not a measure. */
export function resolvesWithin<T>(promise: Promise<T>, ms: number, failure: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(failure)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Fails unless `close` (fastify.close(), channel.close()) resolves within 10 s, the bound the plugin promises. */
export function closesInTime(close: Promise<unknown>, what: string): Promise<unknown> {
  return resolvesWithin(close, 10_000, `${what} still pending after 10 s`)
}
