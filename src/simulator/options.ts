// The simulator's options, checked up front by the plugin's option tables (option-table.ts).
import type { KeyObject } from 'node:crypto'
import type { FastifyServerOptions } from 'fastify'
import { InvalidOptionError } from '../errors.js'
import { type Group, optional, positiveInteger, required, resolveGroup } from '../option-table.js'
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

function nonEmptyString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidOptionError(path, 'must be a non-empty string')
  return value
}

/** SimulatorOptions under their own names, resolved: ResolvedOptions is built from it. */
interface Given {
  clientId: string
  callerClientIds: readonly string[] | undefined
  merchantPublicKey: KeyObject[]
  alipayPrivateKey: KeyObject
  wrongPrivateKey: KeyObject | undefined
  keyVersion: string
  notifyUrl: string | undefined
  redeliveryScheduleMs: readonly number[]
  notifyTimeoutMs: number
  seed: number
  faults: Partial<Faults>
  pathPrefix: string
  acquirerId: string
  pspId: string
  walletBrandName: string
  logger: FastifyServerOptions['logger']
}

const SIMULATOR_OPTIONS: Group<Given> = {
  rules: {
    clientId: required(nonEmptyString),
    callerClientIds: optional<readonly string[] | undefined>(undefined, (value, path) => {
      if (!Array.isArray(value) || value.length === 0 || !value.every((id) => typeof id === 'string' && id !== '')) {
        throw new InvalidOptionError(path, 'must be a non-empty array of non-empty strings')
      }
      return value as string[]
    }),
    merchantPublicKey: required((value, path) => loadPublicKeys(value as string | KeyObject, path)),
    alipayPrivateKey: required((value, path) => loadPrivateKey(value as string | KeyObject, path)),
    wrongPrivateKey: optional<KeyObject | undefined>(undefined, (value, path) => loadPrivateKey(value as string | KeyObject, path)),
    keyVersion: optional('1', nonEmptyString),
    notifyUrl: optional<string | undefined>(undefined, (value) => checkNotifyUrl(value as string)),
    redeliveryScheduleMs: optional(DEFAULT_REDELIVERY_SCHEDULE_MS, (value, path) => {
      if (!Array.isArray(value) || value.length === 0 || !value.every((ms) => Number.isSafeInteger(ms) && ms >= 0)) {
        throw new InvalidOptionError(path, 'must be a non-empty array of non-negative integers (milliseconds)')
      }
      return value as number[]
    }),
    notifyTimeoutMs: optional(10_000, (value, path) => positiveInteger(value, path)),
    seed: optional(1, (value, path) => {
      if (!Number.isSafeInteger(value)) throw new InvalidOptionError(path, 'must be an integer')
      return value as number
    }),
    faults: optional({}, (value) => parseFaults(value)),
    pathPrefix: optional('', (value, path) => {
      const prefix = typeof value === 'string' ? value.replace(/\/+$/, '') : value
      if (typeof prefix !== 'string' || (prefix !== '' && !prefix.startsWith('/'))) throw new InvalidOptionError(path, 'must start with "/"')
      return prefix
    }),
    acquirerId: optional('1022188000000000001', nonEmptyString),
    pspId: optional('1022172000000000001', nonEmptyString),
    walletBrandName: optional('Alipay+ Simulator Wallet', nonEmptyString),
    logger: optional<FastifyServerOptions['logger']>(false, (value) => value as FastifyServerOptions['logger']),
  },
}

export function resolveOptions(options: SimulatorOptions): ResolvedOptions {
  const given = resolveGroup(options, '', SIMULATOR_OPTIONS)
  return {
    clientId: given.clientId,
    callerClientIds: new Set(given.callerClientIds ?? [given.clientId]),
    merchantPublicKeys: given.merchantPublicKey,
    alipayPrivateKey: given.alipayPrivateKey,
    wrongPrivateKey: given.wrongPrivateKey,
    keyVersion: given.keyVersion,
    notifyUrl: given.notifyUrl,
    scheduleMs: [...given.redeliveryScheduleMs],
    notifyTimeoutMs: given.notifyTimeoutMs,
    seed: given.seed,
    faults: { ...NO_FAULTS, ...given.faults },
    pathPrefix: given.pathPrefix,
    identity: { acquirerId: given.acquirerId, pspId: given.pspId, walletBrandName: given.walletBrandName },
    logger: given.logger,
  }
}
