// The `wakeup` option: how an instance learns, within milliseconds, that another instance
// finalized an order it is awaiting. Checked at register() like every other option.
import { InvalidOptionError } from '../errors.js'
import {
  durationMs,
  type Group,
  optional,
  positiveInteger,
  refuseUnknownKeys,
  required,
  resolveGroup,
  type Rule,
  shown,
  type Table,
} from '../option-table.js'

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
const PG_CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/
/** A cap that still bounds memory: about 100 bytes a message. */
const MAX_PENDING_LIMIT = 1_000_000
const W = WAKEUP_DEFAULTS

const LIVENESS: Table<ChannelLiveness> = {
  heartbeatMs: optional(W.heartbeatMs, durationMs),
  timeoutMs: optional(W.timeoutMs, durationMs),
  maxPending: optional(W.maxPending, (value, path) => positiveInteger(value, path, MAX_PENDING_LIMIT)),
}

const POSTGRES: Group<{ postgres: PostgresConnection; channel: string } & ChannelLiveness> = {
  label: 'wakeup { postgres }',
  rules: {
    postgres: required((value, path) => {
      if ((typeof value === 'string' && value !== '') || (typeof value === 'object' && value !== null)) return value as PostgresConnection
      throw new InvalidOptionError(path, 'must be a connection string or a pg ClientConfig object')
    }),
    channel: optional(W.channel, (value, path) => {
      if (typeof value === 'string' && PG_CHANNEL.test(value)) return value
      throw new InvalidOptionError(path, 'must be a lower-case SQL identifier of at most 63 characters, e.g. "alipayplus_final"')
    }),
    ...LIVENESS,
  },
}

const REDIS: Group<{ redis: RedisConnection; channel: string } & ChannelLiveness> = {
  label: 'wakeup { redis }',
  rules: {
    redis: required((value, path) => {
      const isClient = typeof value === 'object' && value !== null && typeof (value as { duplicate?: unknown }).duplicate === 'function'
      if ((typeof value === 'string' && value !== '') || isClient) return value as RedisConnection
      throw new InvalidOptionError(path, 'must be a Redis URL such as "redis://127.0.0.1:6379" or an ioredis client')
    }),
    channel: optional(W.channel, (value, path) => {
      if (typeof value === 'string' && value !== '' && value.length <= 200) return value
      throw new InvalidOptionError(path, 'must be a non-empty string of at most 200 characters')
    }),
    ...LIVENESS,
  },
}

const POLL: Group<{ pollMs: number }> = { label: 'wakeup { pollMs }', rules: { pollMs: optional(W.pollMs, durationMs) } }

/** Every shape's settings: a name none of them has is refused, with the nearest, before the shape is told. */
const ANY_SHAPE: Group<Record<string, unknown>> = { rules: { ...POSTGRES.rules, ...REDIS.rules, ...POLL.rules } }
const SETTINGS = new Set(Object.keys(ANY_SHAPE.rules))

/** The `wakeup` option: one of three shapes, told apart by which of postgres, redis and pollMs it has. */
export const WAKEUP_OPTION: Rule<ResolvedWakeup> = {
  fallback: () => ({ kind: 'poll', pollMs: W.pollMs }),
  read(value, path) {
    if (value === false) return { kind: 'off' }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidOptionError(path, `must be { postgres }, { redis }, { pollMs } or false, got ${shown(value)}`)
    }
    const settings = value as Record<string, unknown>
    refuseUnknownKeys(settings, path, ANY_SHAPE)
    const given = KINDS.filter((kind) => settings[kind] !== undefined)
    const anySetting = Object.values(settings).some((setting) => setting !== undefined)
    if (given.length > 1 || (given.length === 0 && anySetting)) {
      throw new InvalidOptionError(path, `must have exactly one of postgres, redis and pollMs (got ${given.length === 0 ? 'none' : given.join(', ')})`)
    }
    // Another shape's setting left undefined is not given (a config spread in whole, say).
    const defined = Object.fromEntries(Object.entries(settings).filter(([key, setting]) => setting !== undefined || !SETTINGS.has(key)))
    if (given[0] === 'postgres') {
      const { postgres, channel, ...liveness } = resolveGroup(defined, path, POSTGRES)
      return { kind: 'postgres', connection: postgres, channel, liveness }
    }
    if (given[0] === 'redis') {
      const { redis, channel, ...liveness } = resolveGroup(defined, path, REDIS)
      return { kind: 'redis', connection: redis, channel, liveness }
    }
    return { kind: 'poll', pollMs: resolveGroup(defined, path, POLL).pollMs }
  },
}

export function resolveWakeup(value: WakeupOptions | false | undefined): ResolvedWakeup {
  return value === undefined ? WAKEUP_OPTION.fallback('wakeup', {}) : WAKEUP_OPTION.read(value, 'wakeup', {})
}
