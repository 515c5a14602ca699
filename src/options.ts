// The plugin's options: their types, their defaults, and the checks run at register() so that
// a misconfiguration fails at start-up with a message naming the option, not at the first
// payment. Key material never appears in those messages.
import type { KeyObject } from 'node:crypto'
import { isIPv4 } from 'node:net'
import {
  DELIVERY_DEFAULTS,
  type DeliveryOptions,
  type PaymentResultHandler,
  type ResolvedDeliveryOptions,
  resolveDelivery,
} from './delivery/delivery-options.js'
import type { AttentionHook } from './attention/attention-alert.js'
import { InvalidOptionError } from './errors.js'
import { loadPrivateKey, loadPublicKeys } from './protocol/keys.js'
import { type ModelNames, resolvePaymentModels } from './store/payment-models.js'
import type { PaymentModels, PaymentPrismaClient } from './store/prisma-types.js'
import {
  type HealthOptions,
  type OpenTelemetryOptions,
  type ResolvedOpenTelemetry,
  resolveTelemetry,
  TELEMETRY_DEFAULTS,
} from './telemetry/telemetry-options.js'
import { MAX_TIMER_MS, TIMER_LIMIT_PROBLEM } from './timer-limit.js'
import { type ResolvedWakeup, resolveWakeup, WAKEUP_DEFAULTS, type WakeupOptions } from './wakeup/wakeup-options.js'

/** p-retry's own option names, so p-retry users know them. */
export interface PollingOptions {
  /** Wait before the second inquiry (the first goes out at once). Default 4000 ms. */
  minTimeout?: number
  /** Longest wait between two inquiries. Default 60000 ms. */
  maxTimeout?: number
  /** Growth of the wait from one inquiry to the next. Default 2. */
  factor?: number
  /** Spread each wait by a random factor in [1, 2) so that many orders do not tick together. Default false. */
  randomize?: boolean
  /** The polling window: stop inquiring after this long. Default 600000 ms (10 minutes). */
  maxRetryTime?: number
}

export interface ReconcileOptions {
  /**
   * How often to look for orders left init; also the wait before an order whose polling window
   * ended without a result is checked again. Default 60000 ms.
   */
  intervalMs?: number
  /** Only orders at least this old (younger ones have their own waiter). Default 60000 ms. */
  minAgeMs?: number
  /** Orders taken per pass, those never checked first, then those due longest. Default 100. */
  batchSize?: number
  /**
   * Oldest order the reconciler keeps driving. An order older than this whose polling window
   * ends without a result (Alipay+ never learnt of it: ORDER_NOT_EXIST for ever) is flagged
   * attention 'gave_up' and no longer picked. Default 172800000 ms (2 days).
   */
  maxAgeMs?: number
  /**
   * An order whose last inquiry answered ORDER_NOT_EXIST (an abandoned checkout: Alipay+ never
   * learnt of it) and that is older than this when its window ends is flagged attention
   * 'not_found' and no longer picked. Default 3600000 ms (1 hour).
   */
  notFoundGiveUpMs?: number
  /**
   * Until then such an order backs off: it is checked again after a wait as long as its age
   * (checks at doubling ages), at least intervalMs and at most this. Default 900000 ms (15 minutes).
   */
  notFoundMaxWaitMs?: number
}

/**
 * The application's PrismaClient (Prisma 7, any provider). With the models under their default
 * names it is type-checked; with `models`, the names are checked when the plugin registers.
 */
export type PrismaOptions =
  | {
      /** Your PrismaClient, whose schema has the PaymentOrder and PaymentEvent models. */
      prisma: PaymentPrismaClient
      models?: undefined
    }
  | {
      /** Your PrismaClient, whose schema has the plugin's two models under the names in `models`. */
      prisma: object
      /** The client's delegate names for the two models, e.g. { order: 'alipayOrder', event: 'alipayEvent' }. */
      models: ModelNames
    }

export type AlipayPlusOptions = PrismaOptions & AlipayPlusCommonOptions

/** Every option but `prisma` and `models`. */
export interface AlipayPlusCommonOptions {
  /** Client-Id assigned by Alipay+. */
  clientId: string
  /** Your RSA private key: PEM, or bare Base64 PKCS#8 (Java/Go SDKs) or PKCS#1 (Python/PHP SDKs). */
  privateKey: string | KeyObject
  /** Alipay+'s RSA public key(s): PEM or Base64 X.509. Several are all accepted (rotation). */
  alipayPublicKey: string | KeyObject | Array<string | KeyObject>
  /**
   * Alipay+ gateway, e.g. https://open-sea-global.alipayplus.com (http: only for loopback). A
   * path prefix (https://host/sandbox) is kept in the URL but never signed, as in the SDKs.
   */
  gatewayUrl: string
  /** Route that receives notifyPayment. Default '/alipayplus/notifyPayment'. */
  notifyPath?: string
  /**
   * The path Alipay+ signs a notification over (and our answer is signed over): the path of the
   * notify URL registered with Alipay+. Set it when a proxy rewrites that public path before it
   * reaches this server. Default: the path the request arrived at, without its query string.
   */
  notifySignedPath?: string
  /**
   * Client-Ids accepted in a notification's Client-Id header: a list, or '*' for any. Default:
   * [clientId]. A notification for another Client-Id (another merchant, sandbox vs production)
   * is refused with 401.
   */
  notifyClientIds?: string[] | '*'
  /**
   * Refuse a notification whose Request-Time is further than this from now (either side), or
   * unreadable. Default: off (Alipay+ documents no replay window).
   */
  requestTimeToleranceMs?: number
  /** keyVersion sent in the Signature header. Default '1'. */
  keyVersion?: string
  /** Timeout of one inquiryPayment call. Default 10000 ms. */
  requestTimeoutMs?: number
  /** Largest accepted notifyPayment body. Default 65536 bytes. */
  notifyBodyLimit?: number
  polling?: PollingOptions
  /** Calls to Alipay+ (inquiries and cancels) in flight at once, across all orders. Default 16. */
  maxConcurrentInquiries?: number
  /**
   * Calls to Alipay+ (inquiries and cancels) in any 1-second window as Alipay+ counts them (a
   * call counts from its start until 1 s after its answer), per instance: with N instances,
   * set it to your traffic limit divided by N. Default 50.
   */
  maxInquiriesPerSecond?: number
  /** Background pass that drives orders left init to a final result; false turns it off. */
  reconcile?: ReconcileOptions | false
  /**
   * An instance polling an order holds its lease until its next inquiry could come (its turn
   * under maxInquiriesPerSecond included), plus leaseMs: the margin for slow calls holding the
   * slots and traffic-limit pauses, and how long an order a crashed instance was polling waits
   * before another instance takes it over. The lease is let go when polling ends. Keep it above
   * requestTimeoutMs. Default 30000 ms.
   */
  leaseMs?: number
  /**
   * Read inquiryPayment answers that carry no Signature header. Default false: an unsigned
   * answer is a setup error, never a result. Only for a test gateway that cannot sign.
   */
  acceptUnsignedInquiryResponses?: boolean
  /**
   * Called with every result that becomes final (on any instance, by notification, inquiry or
   * the reconciler; after a restart too), once it is durably recorded: at least once, exactly
   * once in the normal case. Default: none.
   */
  onPaymentResult?: PaymentResultHandler
  /** How onPaymentResult runs and is retried. */
  delivery?: DeliveryOptions
  /**
   * When the order's polling window (createdAt + polling.maxRetryTime, never a caller's shorter
   * timeoutMs) ends without a final result, ask Alipay+ to cancel the payment (cancelPayment; an
   * unpaid payment is closed, a paid one refunded) and record FAIL with source 'cancel' once it
   * answers S. Only within Alipay+'s cancel deadline (T+1 00:15 GMT+8 of the order's day). Set
   * it alike on every instance (see docs/cancel.md). Default false.
   */
  cancelAfterWindow?: boolean
  /**
   * Called when a payment needs a human or the setup is wrong: conflicting results, amount
   * mismatches, setup errors, invalid answers, refused or unconfirmed cancels, orders given up.
   * Never awaited; a throw or rejection is logged. Default: none (the plugin only logs).
   */
  onAttention?: AttentionHook
  /**
   * How an instance learns that another instance finalized an order it is awaiting:
   * { postgres } (LISTEN/NOTIFY), { redis } (pub/sub), { pollMs } (a query per interval for
   * the awaited orders), or false (only the polling ticks). Default { pollMs: 1000 }.
   */
  wakeup?: WakeupOptions | false
  /**
   * Metrics and spans through OpenTelemetry (@opentelemetry/api, an optional peer dependency).
   * Default: on, with the global providers, when @opentelemetry/api is installed.
   */
  openTelemetry?: OpenTelemetryOptions
  /** Thresholds of fastify.alipayplus.health(). */
  health?: HealthOptions
}

export interface ResolvedOptions {
  models: PaymentModels
  clientId: string
  privateKey: KeyObject
  alipayPublicKeys: KeyObject[]
  gatewayUrl: string
  notifyPath: string
  /** Undefined: the request's own path. */
  notifySignedPath: string | undefined
  /** '*' accepts any Client-Id. */
  notifyClientIds: ReadonlySet<string> | '*'
  /** Undefined: no window. */
  requestTimeToleranceMs: number | undefined
  keyVersion: string
  requestTimeoutMs: number
  notifyBodyLimit: number
  polling: Required<PollingOptions>
  maxConcurrentInquiries: number
  maxInquiriesPerSecond: number
  reconcile: Required<ReconcileOptions> | false
  leaseMs: number
  acceptUnsignedInquiryResponses: boolean
  onPaymentResult: PaymentResultHandler | undefined
  delivery: ResolvedDeliveryOptions
  cancelAfterWindow: boolean
  onAttention: AttentionHook | undefined
  wakeup: ResolvedWakeup
  openTelemetry: ResolvedOpenTelemetry
  health: Required<HealthOptions>
}

export const DEFAULTS = {
  notifyPath: '/alipayplus/notifyPayment',
  keyVersion: '1',
  requestTimeoutMs: 10_000,
  notifyBodyLimit: 65_536,
  // Alipay+ guidance for cashier payments: inquire for about 10 minutes with an increasing
  // interval; Alipay+'s own inquiries use 4 s, 4 s, 30 s, 60 s, ... 5 min. With factor 2 the
  // waits are 4, 8, 16, 32, 60, 60, ... s: about 14 inquiries in the 10-minute window.
  polling: { minTimeout: 4_000, maxTimeout: 60_000, factor: 2, randomize: false, maxRetryTime: 600_000 },
  maxConcurrentInquiries: 16,
  // Alipay+ agrees traffic limits per merchant and API and publishes no default. 50/s keeps
  // one instance modest while leaving room: on the default schedule an order makes about one
  // inquiry a minute once past its first minute, so 50/s (each call counted until 1 s after
  // its answer: some 40/s at 250 ms answers) sustains over 2,000 orders polled at once; a
  // burst of new orders is spread instead of sent 16 at a time as fast as Alipay+ answers
  // (hundreds a second). A traffic-limit answer still pauses every order.
  maxInquiriesPerSecond: 50,
  // Antom's advice is to start inquiring when no notification came within about a minute.
  // maxAgeMs: past the longest redelivery schedule of a notification (about 25 hours).
  // notFoundGiveUpMs: a customer who has not paid (not even opened the wallet) an hour after
  // checkout has abandoned it; with 15-minute waits that is some 4 windows instead of 2 days.
  reconcile: {
    intervalMs: 60_000,
    minAgeMs: 60_000,
    batchSize: 100,
    maxAgeMs: 172_800_000,
    notFoundGiveUpMs: 3_600_000,
    notFoundMaxWaitMs: 900_000,
  },
  leaseMs: 30_000,
  acceptUnsignedInquiryResponses: false,
  cancelAfterWindow: false,
  delivery: DELIVERY_DEFAULTS,
  wakeup: { pollMs: WAKEUP_DEFAULTS.pollMs },
  health: TELEMETRY_DEFAULTS.health,
} as const

function requireString(options: Record<string, unknown>, name: string): string {
  const value = options[name]
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidOptionError(name, 'is required (a non-empty string)')
  return value
}

function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidOptionError(name, `must be a positive integer, got ${JSON.stringify(value)}`)
  }
  return value
}

/** A positive integer number of milliseconds that a Node.js timer can hold. */
function positiveDuration(value: unknown, name: string, fallback: number): number {
  const duration = positiveInteger(value, name, fallback)
  if (duration > MAX_TIMER_MS) throw new InvalidOptionError(name, TIMER_LIMIT_PROBLEM)
  return duration
}

/**
 * Loopback by address, not by name prefix: "127.attacker.example" or "127.0.0.1.nip.io" are
 * ordinary DNS names that may resolve anywhere. URL has already normalised IPv4 forms such as
 * "2130706433" or "0x7f.1" to dotted decimal, and brackets IPv6 literals.
 */
function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true
  return isIPv4(hostname) && hostname.startsWith('127.')
}

function checkGatewayUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InvalidOptionError('gatewayUrl', 'must be an absolute URL such as https://open-sea-global.alipayplus.com')
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new InvalidOptionError('gatewayUrl', 'must use https: (http: is accepted only for a loopback address: 127.0.0.0/8, [::1], localhost)')
  }
  return value
}

function optionalBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new InvalidOptionError(name, `must be a boolean, got ${JSON.stringify(value)}`)
  return value
}

function optionalFunction<F>(value: F | undefined, name: string): F | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') throw new InvalidOptionError(name, 'must be a function')
  return value
}

/** A path as it appears in signed content: absolute, no query, fragment, space or control character. */
function checkSignedPath(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !/^\/[^?#\s\u0000-\u001F\u007F]*$/.test(value)) {
    throw new InvalidOptionError('notifySignedPath', 'must be a path starting with "/", without query or fragment')
  }
  return value
}

function resolveNotifyClientIds(value: unknown, clientId: string): ReadonlySet<string> | '*' {
  if (value === undefined) return new Set([clientId])
  if (value === '*') return '*'
  if (!Array.isArray(value) || value.length === 0 || !value.every((id) => typeof id === 'string' && id.trim() !== '')) {
    throw new InvalidOptionError('notifyClientIds', "must be a non-empty array of Client-Ids, or '*' for any")
  }
  return new Set(value as string[])
}

function resolvePolling(value: PollingOptions | undefined): Required<PollingOptions> {
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new InvalidOptionError('polling', 'must be an object')
  }
  const polling = { ...DEFAULTS.polling, ...value }
  positiveDuration(polling.minTimeout, 'polling.minTimeout', 1)
  positiveDuration(polling.maxTimeout, 'polling.maxTimeout', 1)
  positiveDuration(polling.maxRetryTime, 'polling.maxRetryTime', 1)
  if (polling.maxTimeout < polling.minTimeout) {
    throw new InvalidOptionError('polling.maxTimeout', 'must be at least polling.minTimeout')
  }
  if (typeof polling.factor !== 'number' || !(polling.factor >= 1)) {
    throw new InvalidOptionError('polling.factor', 'must be a number >= 1')
  }
  if (typeof polling.randomize !== 'boolean') throw new InvalidOptionError('polling.randomize', 'must be a boolean')
  return polling
}

function resolveReconcile(value: ReconcileOptions | false | undefined): Required<ReconcileOptions> | false {
  if (value === false) return false
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new InvalidOptionError('reconcile', 'must be an object or false')
  }
  const reconcile = { ...DEFAULTS.reconcile, ...value }
  positiveDuration(reconcile.intervalMs, 'reconcile.intervalMs', 1)
  positiveInteger(reconcile.batchSize, 'reconcile.batchSize', 1)
  if (!Number.isInteger(reconcile.minAgeMs) || reconcile.minAgeMs < 0) {
    throw new InvalidOptionError('reconcile.minAgeMs', 'must be an integer >= 0')
  }
  // Not a timer itself, but capped like the other durations so that one rule covers them all.
  if (reconcile.minAgeMs > MAX_TIMER_MS) throw new InvalidOptionError('reconcile.minAgeMs', TIMER_LIMIT_PROBLEM)
  reconcile.maxAgeMs = positiveDuration(reconcile.maxAgeMs ?? DEFAULTS.reconcile.maxAgeMs, 'reconcile.maxAgeMs', 1)
  if (reconcile.maxAgeMs <= reconcile.minAgeMs) {
    throw new InvalidOptionError('reconcile.maxAgeMs', 'must be greater than reconcile.minAgeMs')
  }
  reconcile.notFoundGiveUpMs = positiveDuration(
    reconcile.notFoundGiveUpMs ?? DEFAULTS.reconcile.notFoundGiveUpMs,
    'reconcile.notFoundGiveUpMs',
    1,
  )
  reconcile.notFoundMaxWaitMs = positiveDuration(
    reconcile.notFoundMaxWaitMs ?? DEFAULTS.reconcile.notFoundMaxWaitMs,
    'reconcile.notFoundMaxWaitMs',
    1,
  )
  return reconcile
}

export function resolveOptions(raw: AlipayPlusOptions): ResolvedOptions {
  if (typeof raw !== 'object' || raw === null) throw new InvalidOptionError('options', 'must be an object')
  const options = raw as unknown as Record<string, unknown>
  const notifyPath = raw.notifyPath ?? DEFAULTS.notifyPath
  if (typeof notifyPath !== 'string' || !notifyPath.startsWith('/')) {
    throw new InvalidOptionError('notifyPath', 'must be a path starting with "/"')
  }
  const keyVersion = raw.keyVersion ?? DEFAULTS.keyVersion
  if (typeof keyVersion !== 'string' || !/^[0-9A-Za-z._-]{1,16}$/.test(keyVersion)) {
    throw new InvalidOptionError('keyVersion', 'must be a short string such as "1"')
  }
  if (raw.privateKey === undefined) throw new InvalidOptionError('privateKey', 'is required')
  if (raw.alipayPublicKey === undefined) throw new InvalidOptionError('alipayPublicKey', 'is required')
  const clientId = requireString(options, 'clientId')
  return {
    models: resolvePaymentModels(raw.prisma, raw.models, { delivery: raw.onPaymentResult !== undefined }),
    clientId,
    privateKey: loadPrivateKey(raw.privateKey, 'privateKey'),
    alipayPublicKeys: loadPublicKeys(raw.alipayPublicKey, 'alipayPublicKey'),
    gatewayUrl: checkGatewayUrl(requireString(options, 'gatewayUrl')),
    notifyPath,
    notifySignedPath: checkSignedPath(raw.notifySignedPath),
    notifyClientIds: resolveNotifyClientIds(raw.notifyClientIds, clientId),
    requestTimeToleranceMs:
      raw.requestTimeToleranceMs === undefined ? undefined : positiveDuration(raw.requestTimeToleranceMs, 'requestTimeToleranceMs', 1),
    keyVersion,
    requestTimeoutMs: positiveDuration(raw.requestTimeoutMs, 'requestTimeoutMs', DEFAULTS.requestTimeoutMs),
    notifyBodyLimit: positiveInteger(raw.notifyBodyLimit, 'notifyBodyLimit', DEFAULTS.notifyBodyLimit),
    polling: resolvePolling(raw.polling),
    maxConcurrentInquiries: positiveInteger(raw.maxConcurrentInquiries, 'maxConcurrentInquiries', DEFAULTS.maxConcurrentInquiries),
    maxInquiriesPerSecond: positiveInteger(raw.maxInquiriesPerSecond, 'maxInquiriesPerSecond', DEFAULTS.maxInquiriesPerSecond),
    reconcile: resolveReconcile(raw.reconcile),
    leaseMs: positiveDuration(raw.leaseMs, 'leaseMs', DEFAULTS.leaseMs),
    acceptUnsignedInquiryResponses: optionalBoolean(
      raw.acceptUnsignedInquiryResponses,
      'acceptUnsignedInquiryResponses',
      DEFAULTS.acceptUnsignedInquiryResponses,
    ),
    ...resolveDelivery(raw.onPaymentResult, raw.delivery),
    cancelAfterWindow: optionalBoolean(raw.cancelAfterWindow, 'cancelAfterWindow', DEFAULTS.cancelAfterWindow),
    onAttention: optionalFunction(raw.onAttention, 'onAttention'),
    wakeup: resolveWakeup(raw.wakeup),
    ...resolveTelemetry(raw.openTelemetry, raw.health),
  }
}
