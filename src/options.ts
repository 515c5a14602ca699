// The plugin's options: their types, their defaults, and their table (option-table.ts), checked
// at register() so that a misconfiguration fails at start-up with a message naming the option,
// not at the first payment. Key material never appears in those messages.
import type { KeyObject } from 'node:crypto'
import { isIPv4 } from 'node:net'
import {
  DELIVERY_DEFAULTS,
  DELIVERY_OPTIONS,
  type DeliveryOptions,
  factor,
  type PaymentResultHandler,
  type ResolvedDeliveryOptions,
} from './delivery/delivery-options.js'
import type { AttentionHook } from './attention/attention-alert.js'
import { InvalidOptionError } from './errors.js'
import {
  boolean,
  callback,
  durationMs,
  FASTIFY_REGISTER_KEYS,
  type Group,
  group,
  integerAtLeast,
  optional,
  orFalse,
  positiveInteger,
  required,
  type Resolved,
  resolveGroup,
} from './option-table.js'
import { loadPrivateKey, loadPublicKeys } from './protocol/keys.js'
import { type ModelNames, resolvePaymentModels } from './store/payment-models.js'
import type { PaymentModels, PaymentPrismaClient } from './store/prisma-types.js'
import {
  HEALTH_OPTIONS,
  type HealthOptions,
  OPEN_TELEMETRY_OPTION,
  type OpenTelemetryOptions,
  type ResolvedOpenTelemetry,
  TELEMETRY_DEFAULTS,
} from './telemetry/telemetry-options.js'
import { type ResolvedWakeup, WAKEUP_DEFAULTS, WAKEUP_OPTION, type WakeupOptions } from './wakeup/wakeup-options.js'

/** p-retry's options, under p-retry's names with the unit added (minTimeoutMs for minTimeout...). */
export interface PollingOptions {
  /** Wait before the second inquiry (the first goes out at once). Default 4000 ms. */
  minTimeoutMs?: number
  /** Longest wait between two inquiries. Default 60000 ms. */
  maxTimeoutMs?: number
  /** Growth of the wait from one inquiry to the next. Default 2. */
  factor?: number
  /** Spread each wait by a random factor in [1, 2) so that many orders do not tick together. Default false. */
  randomize?: boolean
  /** The polling window: stop inquiring after this long. Default 600000 ms (10 minutes). */
  maxRetryTimeMs?: number
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
   * under maxInquiriesPerSecond included), plus leaseMarginMs: the margin for slow calls holding
   * the slots and traffic-limit pauses, and how long an order a crashed instance was polling
   * waits before another instance takes it over. The lease is let go when polling ends. Keep it
   * above requestTimeoutMs. Default 30000 ms. (Not delivery.leaseMs, the length of a claim.)
   */
  leaseMarginMs?: number
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
   * When the order's polling window (createdAt + polling.maxRetryTimeMs, never a caller's shorter
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
  leaseMarginMs: number
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
  polling: { minTimeoutMs: 4_000, maxTimeoutMs: 60_000, factor: 2, randomize: false, maxRetryTimeMs: 600_000 },
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
  leaseMarginMs: 30_000,
  acceptUnsignedInquiryResponses: false,
  cancelAfterWindow: false,
  delivery: DELIVERY_DEFAULTS,
  wakeup: { pollMs: WAKEUP_DEFAULTS.pollMs },
  health: TELEMETRY_DEFAULTS.health,
} as const

/**
 * Loopback by address, not by name prefix: "127.attacker.example" or "127.0.0.1.nip.io" are
 * ordinary DNS names that may resolve anywhere. URL has already normalised IPv4 forms such as
 * "2130706433" or "0x7f.1" to dotted decimal, and brackets IPv6 literals.
 */
function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true
  return isIPv4(hostname) && hostname.startsWith('127.')
}

function nonEmptyString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidOptionError(path, 'must be a non-empty string')
  return value
}

function gatewayUrl(value: unknown, path: string): string {
  let url: URL
  try {
    url = new URL(nonEmptyString(value, path))
  } catch {
    throw new InvalidOptionError(path, 'must be an absolute URL such as https://open-sea-global.alipayplus.com')
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new InvalidOptionError(path, 'must use https: (http: is accepted only for a loopback address: 127.0.0.0/8, [::1], localhost)')
  }
  return value as string
}

/** A path as it appears in signed content: absolute, no query, fragment, space or control character. */
function signedPath(value: unknown, path: string): string {
  if (typeof value !== 'string' || !/^\/[^?#\s\u0000-\u001F\u007F]*$/.test(value)) {
    throw new InvalidOptionError(path, 'must be a path starting with "/", without query or fragment')
  }
  return value
}

const P = DEFAULTS.polling
const R = DEFAULTS.reconcile

const POLLING: Group<Required<PollingOptions>> = {
  rules: {
    minTimeoutMs: optional(P.minTimeoutMs, durationMs),
    maxTimeoutMs: optional(P.maxTimeoutMs, durationMs),
    factor: optional(P.factor, factor),
    randomize: optional(P.randomize, boolean),
    maxRetryTimeMs: optional(P.maxRetryTimeMs, durationMs),
  },
  renamed: { minTimeout: 'minTimeoutMs', maxTimeout: 'maxTimeoutMs', maxRetryTime: 'maxRetryTimeMs' },
  check(polling, path) {
    if (polling.maxTimeoutMs < polling.minTimeoutMs) throw new InvalidOptionError(`${path}.maxTimeoutMs`, `must be at least ${path}.minTimeoutMs`)
  },
}

const RECONCILE: Group<Required<ReconcileOptions>> = {
  expected: 'an object or false',
  rules: {
    intervalMs: optional(R.intervalMs, durationMs),
    // Not a timer itself, but capped like the other durations so that one rule covers them all.
    minAgeMs: optional(R.minAgeMs, (value, path) => (integerAtLeast(value, path, 0) === 0 ? 0 : durationMs(value, path))),
    batchSize: optional(R.batchSize, (value, path) => positiveInteger(value, path)),
    maxAgeMs: optional(R.maxAgeMs, durationMs),
    notFoundGiveUpMs: optional(R.notFoundGiveUpMs, durationMs),
    notFoundMaxWaitMs: optional(R.notFoundMaxWaitMs, durationMs),
  },
  check(reconcile, path) {
    if (reconcile.maxAgeMs <= reconcile.minAgeMs) throw new InvalidOptionError(`${path}.maxAgeMs`, `must be greater than ${path}.minAgeMs`)
  },
}

const MODEL_NAMES: Group<ModelNames> = {
  // Checked against the client by resolvePaymentModels, which names the model it looked for.
  rules: { order: optional<string | undefined>(undefined, (value) => value as string), event: optional<string | undefined>(undefined, (value) => value as string) },
}

/** What the table resolves: ResolvedOptions under the options' own names. */
type TopLevel = Omit<ResolvedOptions, 'alipayPublicKeys'> & { prisma: object; alipayPublicKey: KeyObject[] }

/** `models` follows `prisma` and `onPaymentResult` (whose models need the delivery fields): resolved after them. */
function paymentModels(names: ModelNames | undefined, earlier: Resolved): PaymentModels {
  return resolvePaymentModels(earlier.prisma, names, { delivery: earlier.onPaymentResult !== undefined })
}

const OPTIONS: Group<TopLevel> = {
  rules: {
    prisma: required((value, path) => {
      if (typeof value !== 'object' || value === null) throw new InvalidOptionError(path, 'is required: pass your PrismaClient')
      return value
    }, 'your PrismaClient'),
    onPaymentResult: callback<PaymentResultHandler>('(result, context) => Promise<void>'),
    models: {
      fallback: (_path, earlier) => paymentModels(undefined, earlier),
      read: (value, path, earlier) => paymentModels(resolveGroup(value, path, MODEL_NAMES), earlier),
    },
    clientId: required(nonEmptyString, 'a non-empty string'),
    privateKey: required((value, path) => loadPrivateKey(value as string | KeyObject, path)),
    alipayPublicKey: required((value, path) => loadPublicKeys(value as string | KeyObject, path)),
    gatewayUrl: required(gatewayUrl, 'an https: URL'),
    notifyPath: optional(DEFAULTS.notifyPath, (value, path) => {
      if (typeof value !== 'string' || !value.startsWith('/')) throw new InvalidOptionError(path, 'must be a path starting with "/"')
      return value
    }),
    notifySignedPath: optional<string | undefined>(undefined, signedPath),
    notifyClientIds: {
      fallback: (_path, earlier) => new Set([earlier.clientId as string]),
      read(value, path) {
        if (value === '*') return '*'
        if (!Array.isArray(value) || value.length === 0 || !value.every((id) => typeof id === 'string' && id.trim() !== '')) {
          throw new InvalidOptionError(path, "must be a non-empty array of Client-Ids, or '*' for any")
        }
        return new Set(value as string[])
      },
    },
    requestTimeToleranceMs: optional<number | undefined>(undefined, durationMs),
    keyVersion: optional(DEFAULTS.keyVersion, (value, path) => {
      if (typeof value !== 'string' || !/^[0-9A-Za-z._-]{1,16}$/.test(value)) throw new InvalidOptionError(path, 'must be a short string such as "1"')
      return value
    }),
    requestTimeoutMs: optional(DEFAULTS.requestTimeoutMs, durationMs),
    notifyBodyLimit: optional(DEFAULTS.notifyBodyLimit, (value, path) => positiveInteger(value, path)),
    polling: group(POLLING),
    maxConcurrentInquiries: optional(DEFAULTS.maxConcurrentInquiries, (value, path) => positiveInteger(value, path)),
    maxInquiriesPerSecond: optional(DEFAULTS.maxInquiriesPerSecond, (value, path) => positiveInteger(value, path)),
    reconcile: orFalse(group(RECONCILE)),
    leaseMarginMs: optional(DEFAULTS.leaseMarginMs, durationMs),
    acceptUnsignedInquiryResponses: optional(DEFAULTS.acceptUnsignedInquiryResponses, boolean),
    delivery: group(DELIVERY_OPTIONS),
    cancelAfterWindow: optional(DEFAULTS.cancelAfterWindow, boolean),
    onAttention: callback<AttentionHook>('(alert) => void'),
    wakeup: WAKEUP_OPTION,
    openTelemetry: OPEN_TELEMETRY_OPTION,
    health: group(HEALTH_OPTIONS),
  },
  renamed: { leaseMs: 'leaseMarginMs' },
  // Fastify hands its own register() options (prefix, logLevel) to the plugin with ours.
  ignored: FASTIFY_REGISTER_KEYS,
}

export function resolveOptions(raw: AlipayPlusOptions): ResolvedOptions {
  const { prisma: _prisma, alipayPublicKey, ...options } = resolveGroup(raw, '', OPTIONS)
  return { ...options, alipayPublicKeys: alipayPublicKey }
}
