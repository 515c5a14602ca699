// The simulator's options, checked up front with the plugin's InvalidOptionError.
import type { KeyObject } from 'node:crypto'
import type { FastifyServerOptions } from 'fastify'
import { InvalidOptionError } from '../errors.js'
import { loadPrivateKey, loadPublicKeys } from '../protocol/keys.js'
import { type Faults, NO_FAULTS, parseFaults } from './faults.js'
import type { Identity } from './notifier.js'

/** Antom's published redelivery intervals: 8 deliveries over about 25 hours. */
export const DEFAULT_REDELIVERY_SCHEDULE_MS: readonly number[] = Object.freeze([
  0, 120_000, 600_000, 600_000, 3_600_000, 7_200_000, 21_600_000, 54_000_000,
])

export interface SimulatorOptions {
  /** The acquirer's (merchant's) Client-Id that inquiries must carry. */
  clientId: string
  /**
   * Every Client-Id whose inquiries and cancels are accepted, when the merchant calls with
   * several (e.g. one per instance, to tell the callers apart in inquiryArrivals()).
   * Notifications are still sent with clientId.
   */
  callerClientIds?: readonly string[] // default [clientId]
  /** Verifies the merchant's requests and its answers to notifications; several during a rotation. */
  merchantPublicKey: string | KeyObject | Array<string | KeyObject>
  /** Signs the simulator's answers and notifications. */
  alipayPrivateKey: string | KeyObject
  /** Used by the wrong-key fault; a fresh key is generated when absent. */
  wrongPrivateKey?: string | KeyObject
  keyVersion?: string // default '1'
  /** The merchant's full notify URL; can be set later with setNotifyUrl(). */
  notifyUrl?: string
  redeliveryScheduleMs?: readonly number[] // default DEFAULT_REDELIVERY_SCHEDULE_MS
  notifyTimeoutMs?: number // default 10000
  seed?: number // default 1
  faults?: Partial<Faults> // default none
  /** Serves the API under a path prefix, like a gateway behind a proxy; the prefix is never signed. */
  pathPrefix?: string // default ''
  acquirerId?: string // default '1022188000000000001'
  pspId?: string // default '1022172000000000001'
  walletBrandName?: string // default 'Alipay+ Simulator Wallet'
  logger?: FastifyServerOptions['logger'] // default false
}

export interface ResolvedOptions {
  clientId: string
  callerClientIds: ReadonlySet<string>
  merchantPublicKeys: KeyObject[]
  alipayPrivateKey: KeyObject
  wrongPrivateKey: KeyObject | undefined
  keyVersion: string
  notifyUrl: string | undefined
  scheduleMs: readonly number[]
  notifyTimeoutMs: number
  seed: number
  faults: Faults
  pathPrefix: string
  identity: Identity
  logger: FastifyServerOptions['logger']
}

export function checkNotifyUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  try {
    const parsed = new URL(url)
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return url
  } catch {
    // reported below
  }
  throw new InvalidOptionError('notifyUrl', 'must be an absolute http(s) URL')
}

function nonEmptyString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidOptionError(name, 'must be a non-empty string')
  return value
}

export function resolveOptions(options: SimulatorOptions): ResolvedOptions {
  const schedule = options.redeliveryScheduleMs ?? DEFAULT_REDELIVERY_SCHEDULE_MS
  if (!Array.isArray(schedule) || schedule.length === 0 || !schedule.every((ms) => Number.isSafeInteger(ms) && ms >= 0)) {
    throw new InvalidOptionError('redeliveryScheduleMs', 'must be a non-empty array of non-negative integers (milliseconds)')
  }
  const timeout = options.notifyTimeoutMs ?? 10_000
  if (!Number.isSafeInteger(timeout) || timeout <= 0) {
    throw new InvalidOptionError('notifyTimeoutMs', 'must be a positive integer number of milliseconds')
  }
  const seed = options.seed ?? 1
  if (!Number.isSafeInteger(seed)) throw new InvalidOptionError('seed', 'must be an integer')
  const pathPrefix = (options.pathPrefix ?? '').replace(/\/+$/, '')
  if (pathPrefix !== '' && !pathPrefix.startsWith('/')) throw new InvalidOptionError('pathPrefix', 'must start with "/"')
  const clientId = nonEmptyString(options.clientId, 'clientId')
  const callers = options.callerClientIds ?? [clientId]
  if (!Array.isArray(callers) || callers.length === 0 || !callers.every((id) => typeof id === 'string' && id !== '')) {
    throw new InvalidOptionError('callerClientIds', 'must be a non-empty array of non-empty strings')
  }
  return {
    clientId,
    callerClientIds: new Set(callers),
    merchantPublicKeys: loadPublicKeys(options.merchantPublicKey, 'merchantPublicKey'),
    alipayPrivateKey: loadPrivateKey(options.alipayPrivateKey, 'alipayPrivateKey'),
    wrongPrivateKey: options.wrongPrivateKey === undefined ? undefined : loadPrivateKey(options.wrongPrivateKey, 'wrongPrivateKey'),
    keyVersion: nonEmptyString(options.keyVersion ?? '1', 'keyVersion'),
    notifyUrl: checkNotifyUrl(options.notifyUrl),
    scheduleMs: [...schedule],
    notifyTimeoutMs: timeout,
    seed,
    faults: { ...NO_FAULTS, ...parseFaults(options.faults ?? {}) },
    pathPrefix,
    identity: {
      acquirerId: nonEmptyString(options.acquirerId ?? '1022188000000000001', 'acquirerId'),
      pspId: nonEmptyString(options.pspId ?? '1022172000000000001', 'pspId'),
      walletBrandName: nonEmptyString(options.walletBrandName ?? 'Alipay+ Simulator Wallet', 'walletBrandName'),
    },
    logger: options.logger ?? false,
  }
}
