// The `wakeup` option: how an instance learns, within milliseconds, that another instance
// finalized an order it is awaiting. Checked at register() like every other option.
import { InvalidOptionError } from '../errors.js'
import { MAX_TIMER_MS, TIMER_LIMIT_PROBLEM } from '../timer-limit.js'

/** A pg connection string, or a pg ClientConfig object (host, port, user, password, ssl...). */
export type PostgresConnection = string | { readonly [setting: string]: unknown }

/** A Redis URL, or an ioredis client of the application's (the plugin uses duplicates of it). */
export type RedisConnection = string | { duplicate(...args: never[]): unknown }

/** How a channel proves its connections alive and how much it keeps while they are not. */
export interface ChannelLivenessOptions {
  /** Every heartbeatMs, the channel sends itself a message and expects it back. Default 5000. */
  heartbeatMs?: number
  /**
   * How long a heartbeat, a connect, or a NOTIFY/PUBLISH may take before its connection is
   * dropped and opened again (then awaited orders are looked up again). Default 10000.
   */
  timeoutMs?: number
  /** Messages kept while they cannot be sent; past it the oldest are dropped (polling finds those results). Default 10000. */
  maxPending?: number
}

export type WakeupOptions =
  | ({
      /** PostgreSQL LISTEN/NOTIFY on one dedicated connection (needs the pg package). */
      postgres: PostgresConnection
      /** The NOTIFY channel: a lower-case SQL identifier. Default 'alipayplus_final'. */
      channel?: string
      redis?: never
      pollMs?: never
    } & ChannelLivenessOptions)
  | ({
      /** Redis pub/sub on two dedicated connections (needs the ioredis package). */
      redis: RedisConnection
      /** The pub/sub channel. Default 'alipayplus_final'. */
      channel?: string
      postgres?: never
      pollMs?: never
    } & ChannelLivenessOptions)
  | {
      /** No channel: every pollMs, one query for which of this instance's awaited orders became final. */
      pollMs: number
      // `never`: TypeScript's excess-property check lets a union member borrow another's keys.
      channel?: never
      postgres?: never
      redis?: never
      heartbeatMs?: never
      timeoutMs?: never
      maxPending?: never
    }

export type ChannelLiveness = Required<ChannelLivenessOptions>

export type ResolvedWakeup =
  | { kind: 'postgres'; connection: PostgresConnection; channel: string; liveness: ChannelLiveness }
  | { kind: 'redis'; connection: RedisConnection; channel: string; liveness: ChannelLiveness }
  | { kind: 'poll'; pollMs: number }
  | { kind: 'off' }

export const WAKEUP_DEFAULTS = { pollMs: 1_000, channel: 'alipayplus_final', heartbeatMs: 5_000, timeoutMs: 10_000, maxPending: 10_000 } as const

const KINDS = ['postgres', 'redis', 'pollMs'] as const
const LIVENESS = ['heartbeatMs', 'timeoutMs', 'maxPending'] as const
const PG_CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/
/** A cap that still bounds memory: about 100 bytes a message. */
const MAX_PENDING_LIMIT = 1_000_000

function problem(detail: string): never {
  throw new InvalidOptionError('wakeup', detail)
}

function resolveChannel(value: unknown, kind: 'postgres' | 'redis'): string {
  if (value === undefined) return WAKEUP_DEFAULTS.channel
  if (kind === 'postgres' && (typeof value !== 'string' || !PG_CHANNEL.test(value))) {
    problem('channel must be a lower-case SQL identifier of at most 63 characters, e.g. "alipayplus_final"')
  }
  if (typeof value !== 'string' || value === '' || value.length > 200) problem('channel must be a non-empty string')
  return value
}

function positiveInteger(value: unknown, name: string, fallback: number, max: number, tooLarge: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) problem(`${name} must be a positive integer`)
  if (value > max) problem(`${name} ${tooLarge}`)
  return value
}

function resolveLiveness(value: ChannelLivenessOptions): ChannelLiveness {
  return {
    heartbeatMs: positiveInteger(value.heartbeatMs, 'heartbeatMs', WAKEUP_DEFAULTS.heartbeatMs, MAX_TIMER_MS, TIMER_LIMIT_PROBLEM),
    timeoutMs: positiveInteger(value.timeoutMs, 'timeoutMs', WAKEUP_DEFAULTS.timeoutMs, MAX_TIMER_MS, TIMER_LIMIT_PROBLEM),
    maxPending: positiveInteger(value.maxPending, 'maxPending', WAKEUP_DEFAULTS.maxPending, MAX_PENDING_LIMIT, `must be at most ${MAX_PENDING_LIMIT}`),
  }
}

export function resolveWakeup(value: WakeupOptions | false | undefined): ResolvedWakeup {
  if (value === false) return { kind: 'off' }
  if (value === undefined) return { kind: 'poll', pollMs: WAKEUP_DEFAULTS.pollMs }
  if (typeof value !== 'object' || value === null) problem('must be { postgres }, { redis }, { pollMs } or false')
  const given = KINDS.filter((kind) => kind in value)
  if (given.length !== 1) problem(`must have exactly one of postgres, redis and pollMs (got ${given.length === 0 ? 'none' : given.join(', ')})`)
  const allowed: string[] = given[0] === 'pollMs' ? ['pollMs'] : [given[0]!, 'channel', ...LIVENESS]
  const unknown = Object.keys(value).find((key) => !allowed.includes(key))
  if (unknown !== undefined) problem(`unknown setting "${unknown}" (allowed here: ${allowed.join(', ')})`)

  if (given[0] === 'pollMs') {
    const { pollMs } = value
    if (typeof pollMs !== 'number' || !Number.isInteger(pollMs) || pollMs <= 0) problem('pollMs must be a positive integer')
    if (pollMs > MAX_TIMER_MS) problem(`pollMs ${TIMER_LIMIT_PROBLEM}`)
    return { kind: 'poll', pollMs }
  }
  const liveness = resolveLiveness(value as ChannelLivenessOptions)
  if (given[0] === 'postgres') {
    const connection: unknown = value.postgres
    if (!(typeof connection === 'string' && connection !== '') && (typeof connection !== 'object' || connection === null)) {
      problem('postgres must be a connection string or a pg ClientConfig object')
    }
    return { kind: 'postgres', connection: connection as PostgresConnection, channel: resolveChannel(value.channel, 'postgres'), liveness }
  }
  const connection: unknown = value.redis
  const isClient = typeof connection === 'object' && connection !== null && typeof (connection as { duplicate?: unknown }).duplicate === 'function'
  if (!(typeof connection === 'string' && connection !== '') && !isClient) {
    problem('redis must be a Redis URL such as "redis://127.0.0.1:6379" or an ioredis client')
  }
  return { kind: 'redis', connection: connection as RedisConnection, channel: resolveChannel(value.channel, 'redis'), liveness }
}
