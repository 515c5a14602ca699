// The plugin's options, resolved by their tables: every misconfiguration refused up front with a
// coded error naming the option, undefined taking the default at every level, unknown and
// renamed keys refused with the name meant, and never a key or password in a message.
// The resolver is called directly with a PrismaClient that never connects (resolving only
// reads its model delegates); registration itself runs on PGlite.
import { PrismaPg } from '@prisma/adapter-pg'
import Fastify from 'fastify'
import t from 'tap'
import { PrismaClient } from '../../generated/prisma/client.js'
import { ADMIN_OPTIONS } from '../../src/admin/admin-routes.js'
import fastifyAlipayPlus, { type AlipayPlusOptions, DEFAULTS } from '../../src/index.js'
import { resolveGroup } from '../../src/option-table.js'
import { resolveOptions } from '../../src/options.js'
import { freshPGlite } from '../helpers/databases.js'
import { rsaKeyPair } from '../helpers/keys.js'

const merchant = rsaKeyPair()
const alipay = rsaKeyPair()
// Port 9 (discard): nothing listens, and nothing here ever queries.
const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: 'postgresql://postgres@127.0.0.1:9/never' }) })
const valid: AlipayPlusOptions = {
  prisma,
  clientId: 'CLIENT',
  privateKey: merchant.privatePem,
  alipayPublicKey: alipay.publicPem,
  gatewayUrl: 'https://open-sea-global.alipayplus.com',
}
const resolve = (overrides: Record<string, unknown>) => resolveOptions({ ...valid, ...overrides } as AlipayPlusOptions)
const errorOf = (run: () => unknown): (Error & { code?: string }) | null => {
  try {
    run()
    return null
  } catch (error) {
    return error as Error & { code?: string }
  }
}

// Any 40 characters of the keys' bodies: none may appear in an error.
const keyPieces = [merchant.privatePem.slice(100, 140), merchant.privateBase64.slice(100, 140), alipay.publicPem.slice(60, 100)]
const leaks = (text: string | undefined) => keyPieces.some((piece) => text?.includes(piece)) || Boolean(text?.includes('s3cret-pw'))

t.test('bad values are refused, naming the option', async (t) => {
  const truncatedKey = merchant.privatePem.slice(0, 400)
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['prisma missing', { prisma: undefined }, 'prisma'],
    ['prisma without the models', { prisma: { $queryRaw: () => {} } }, 'prisma'],
    ['clientId missing', { clientId: undefined }, 'clientId'],
    ['clientId blank', { clientId: '  ' }, 'clientId'],
    ['privateKey missing', { privateKey: undefined }, 'privateKey'],
    ['privateKey truncated', { privateKey: truncatedKey }, 'privateKey'],
    ['privateKey is a public key', { privateKey: merchant.publicPem }, 'privateKey'],
    ['alipayPublicKey missing', { alipayPublicKey: undefined }, 'alipayPublicKey'],
    ['alipayPublicKey garbage', { alipayPublicKey: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA' }, 'alipayPublicKey'],
    ['alipayPublicKey empty list', { alipayPublicKey: [] }, 'alipayPublicKey'],
    ['alipayPublicKey a private key', { alipayPublicKey: [merchant.privatePem] }, 'alipayPublicKey[0]'],
    ['gatewayUrl missing', { gatewayUrl: undefined }, 'gatewayUrl'],
    ['gatewayUrl not a URL', { gatewayUrl: 'open-sea-global.alipayplus.com' }, 'gatewayUrl'],
    ['gatewayUrl plain http', { gatewayUrl: 'http://open-sea-global.alipayplus.com' }, 'gatewayUrl'],
    // Names that merely start like a loopback address resolve wherever their owner wants.
    ['gatewayUrl http to a name starting with 127.', { gatewayUrl: 'http://127.attacker.example/' }, 'gatewayUrl'],
    ['gatewayUrl http to 127.0.0.1.nip.io', { gatewayUrl: 'http://127.0.0.1.nip.io/' }, 'gatewayUrl'],
    ['gatewayUrl http to localhost.attacker.example', { gatewayUrl: 'http://localhost.attacker.example/' }, 'gatewayUrl'],
    ['gatewayUrl http to an IPv4-mapped IPv6 address', { gatewayUrl: 'http://[::ffff:127.0.0.1]/' }, 'gatewayUrl'],
    ['gatewayUrl http to 0.0.0.0', { gatewayUrl: 'http://0.0.0.0:8080' }, 'gatewayUrl'],
    ['notifyPath relative', { notifyPath: 'notify' }, 'notifyPath'],
    ['keyVersion with a comma', { keyVersion: '1,2' }, 'keyVersion'],
    ['requestTimeoutMs zero', { requestTimeoutMs: 0 }, 'requestTimeoutMs'],
    ['requestTimeoutMs string', { requestTimeoutMs: '1000' }, 'requestTimeoutMs'],
    ['maxConcurrentInquiries negative', { maxConcurrentInquiries: -1 }, 'maxConcurrentInquiries'],
    ['maxInquiriesPerSecond zero', { maxInquiriesPerSecond: 0 }, 'maxInquiriesPerSecond'],
    ['maxInquiriesPerSecond fractional', { maxInquiriesPerSecond: 2.5 }, 'maxInquiriesPerSecond'],
    ['maxInquiriesPerSecond string', { maxInquiriesPerSecond: '50' }, 'maxInquiriesPerSecond'],
    ['polling not an object', { polling: 600_000 }, 'polling'],
    ['polling.maxTimeoutMs below minTimeoutMs', { polling: { minTimeoutMs: 5000, maxTimeoutMs: 1000 } }, 'polling.maxTimeoutMs'],
    ['polling.factor below 1', { polling: { factor: 0.5 } }, 'polling.factor'],
    ['polling.randomize not a boolean', { polling: { randomize: 1 } }, 'polling.randomize'],
    ['reconcile true', { reconcile: true }, 'reconcile'],
    ['reconcile.intervalMs zero', { reconcile: { intervalMs: 0 } }, 'reconcile.intervalMs'],
    ['reconcile.minAgeMs negative', { reconcile: { minAgeMs: -1 } }, 'reconcile.minAgeMs'],
    ['notifySignedPath relative', { notifySignedPath: 'notify' }, 'notifySignedPath'],
    ['notifySignedPath with a query', { notifySignedPath: '/notify?x=1' }, 'notifySignedPath'],
    ['notifySignedPath with a newline', { notifySignedPath: '/notify\nx' }, 'notifySignedPath'],
    ['notifyClientIds empty', { notifyClientIds: [] }, 'notifyClientIds'],
    ['notifyClientIds with a blank id', { notifyClientIds: ['CLIENT', ' '] }, 'notifyClientIds'],
    ['notifyClientIds a string other than *', { notifyClientIds: 'CLIENT' }, 'notifyClientIds'],
    ['requestTimeToleranceMs zero', { requestTimeToleranceMs: 0 }, 'requestTimeToleranceMs'],
    ['requestTimeToleranceMs above 2^31-1', { requestTimeToleranceMs: 2 ** 31 }, 'requestTimeToleranceMs'],
    ['acceptUnsignedInquiryResponses not a boolean', { acceptUnsignedInquiryResponses: 'yes' }, 'acceptUnsignedInquiryResponses'],
    // Node turns a timer delay above 2^31-1 ms into 1 ms: each of these would fire at once.
    ['requestTimeoutMs above 2^31-1', { requestTimeoutMs: 2 ** 31 }, 'requestTimeoutMs'],
    ['leaseMarginMs above 2^31-1', { leaseMarginMs: 2 ** 31 }, 'leaseMarginMs'],
    ['polling.minTimeoutMs above 2^31-1', { polling: { minTimeoutMs: 2 ** 31, maxTimeoutMs: 2 ** 32 } }, 'polling.minTimeoutMs'],
    ['polling.maxTimeoutMs above 2^31-1', { polling: { maxTimeoutMs: 2 ** 31 } }, 'polling.maxTimeoutMs'],
    ['polling.maxRetryTimeMs above 2^31-1', { polling: { maxRetryTimeMs: 30 * 86_400_000 } }, 'polling.maxRetryTimeMs'],
    ['reconcile.intervalMs above 2^31-1', { reconcile: { intervalMs: 2 ** 31 } }, 'reconcile.intervalMs'],
    ['reconcile.minAgeMs above 2^31-1', { reconcile: { minAgeMs: 2 ** 31 } }, 'reconcile.minAgeMs'],
    ['reconcile.maxAgeMs above 2^31-1', { reconcile: { maxAgeMs: 2 ** 31 } }, 'reconcile.maxAgeMs'],
    ['reconcile.maxAgeMs zero', { reconcile: { maxAgeMs: 0 } }, 'reconcile.maxAgeMs'],
    ['reconcile.maxAgeMs not above minAgeMs', { reconcile: { minAgeMs: 60_000, maxAgeMs: 60_000 } }, 'reconcile.maxAgeMs'],
    ['reconcile.notFoundGiveUpMs zero', { reconcile: { notFoundGiveUpMs: 0 } }, 'reconcile.notFoundGiveUpMs'],
    ['reconcile.notFoundGiveUpMs fractional', { reconcile: { notFoundGiveUpMs: 1.5 } }, 'reconcile.notFoundGiveUpMs'],
    ['reconcile.notFoundMaxWaitMs above 2^31-1', { reconcile: { notFoundMaxWaitMs: 2 ** 31 } }, 'reconcile.notFoundMaxWaitMs'],
    ['reconcile.notFoundMaxWaitMs a string', { reconcile: { notFoundMaxWaitMs: '900000' } }, 'reconcile.notFoundMaxWaitMs'],
    ['cancelAfterWindow not a boolean', { cancelAfterWindow: 'yes' }, 'cancelAfterWindow'],
    ['onAttention not a function', { onAttention: 'https://hooks.example' }, 'onAttention'],
    ['onPaymentResult not a function', { onPaymentResult: {} }, 'onPaymentResult'],
    ['delivery.minTimeoutMs zero', { delivery: { minTimeoutMs: 0 } }, 'delivery.minTimeoutMs'],
    ['delivery.maxTimeoutMs below minTimeoutMs', { delivery: { minTimeoutMs: 5_000, maxTimeoutMs: 1_000 } }, 'delivery.maxTimeoutMs'],
    ['delivery.maxRetryTimeMs zero', { delivery: { maxRetryTimeMs: 0 } }, 'delivery.maxRetryTimeMs'],
    ['delivery.retries negative', { delivery: { retries: -1 } }, 'delivery.retries'],
    ['delivery.leaseMs below 300', { delivery: { leaseMs: 299 } }, 'delivery.leaseMs'],
    ['delivery.maxClockSkewMs above leaseMs / 2', { delivery: { leaseMs: 1_000, maxClockSkewMs: 501 } }, 'delivery.maxClockSkewMs'],
    ['delivery.maxClockSkewMs negative', { delivery: { maxClockSkewMs: -1 } }, 'delivery.maxClockSkewMs'],
    ['delivery.alertAfterAttempts zero', { delivery: { alertAfterAttempts: 0 } }, 'delivery.alertAfterAttempts'],
    ['delivery.alertAfterAttempts fractional', { delivery: { alertAfterAttempts: 1.5 } }, 'delivery.alertAfterAttempts'],
    ['wakeup a bare URL', { wakeup: 'redis://127.0.0.1:6379' }, 'wakeup'],
    ['wakeup a channel without a kind', { wakeup: { channel: 'x' } }, 'wakeup'],
    ['wakeup with two channels', { wakeup: { postgres: 'postgresql://127.0.0.1/x', redis: 'redis://127.0.0.1' } }, 'wakeup'],
    ['wakeup.pollMs zero', { wakeup: { pollMs: 0 } }, 'wakeup.pollMs'],
    ['wakeup.pollMs above 2^31-1', { wakeup: { pollMs: 2 ** 31 } }, 'wakeup.pollMs'],
    ['wakeup poll with a channel', { wakeup: { pollMs: 100, channel: 'x' } }, 'wakeup.channel'],
    ['wakeup postgres channel not an identifier', { wakeup: { postgres: 'postgresql://127.0.0.1/x', channel: 'Final; DROP' } }, 'wakeup.channel'],
    ['wakeup redis not a URL or client', { wakeup: { redis: 6379 } }, 'wakeup.redis'],
    ['wakeup.heartbeatMs zero', { wakeup: { redis: 'redis://127.0.0.1', heartbeatMs: 0 } }, 'wakeup.heartbeatMs'],
    ['wakeup.maxPending too large', { wakeup: { redis: 'redis://127.0.0.1', maxPending: 10_000_000 } }, 'wakeup.maxPending'],
    ['openTelemetry not an object', { openTelemetry: true }, 'openTelemetry'],
    ['openTelemetry.enabled not a boolean', { openTelemetry: { enabled: 'yes' } }, 'openTelemetry.enabled'],
    ['openTelemetry.meterProvider without getMeter', { openTelemetry: { meterProvider: {} } }, 'openTelemetry.meterProvider'],
    ['openTelemetry.tracerProvider without getTracer', { openTelemetry: { tracerProvider: { getMeter() {} } } }, 'openTelemetry.tracerProvider'],
    ['health.databaseTimeoutMs zero', { health: { databaseTimeoutMs: 0 } }, 'health.databaseTimeoutMs'],
    ['health.deliveryBacklogMs not an integer', { health: { deliveryBacklogMs: 1.5 } }, 'health.deliveryBacklogMs'],
    ['models.order not a model', { models: { order: 'nothing', event: 'paymentEvent' } }, 'models.order'],
    // A key pasted into the wrong option, or spread where a group goes: refused by its type only.
    ['a private key as notifyPath', { notifyPath: merchant.privatePem }, 'notifyPath'],
    ['a private key as leaseMarginMs', { leaseMarginMs: merchant.privatePem }, 'leaseMarginMs'],
    ['a private key as polling', { polling: merchant.privatePem }, 'polling'],
    ['a private key as wakeup', { wakeup: merchant.privateBase64 }, 'wakeup'],
    ['a private key as clientId list', { notifyClientIds: merchant.privatePem }, 'notifyClientIds'],
    ['a private key as alipayPublicKey', { alipayPublicKey: merchant.privateBase64 }, 'alipayPublicKey'],
    ['a private key as keyVersion', { keyVersion: merchant.privatePem }, 'keyVersion'],
    ['a private key as gatewayUrl', { gatewayUrl: merchant.privatePem }, 'gatewayUrl'],
  ]
  for (const [name, overrides, option] of cases) {
    const error = errorOf(() => resolve(overrides))
    t.equal(error?.code, 'FST_ALIPAYPLUS_INVALID_OPTION', name)
    t.match(error?.message, `option "${option}" `, `${name}: names the option`)
    t.notOk(leaks(error?.message) || leaks(JSON.stringify(error?.cause ?? null)), `${name}: no key material in the error`)
  }

  for (const gatewayUrl of ['http://127.0.0.1:8080', 'http://127.1.2.3:8080/sandbox', 'http://[::1]:8080', 'http://localhost:8080', 'http://2130706433:8080']) {
    t.equal(resolve({ gatewayUrl }).gatewayUrl, gatewayUrl, `http is accepted for loopback: ${gatewayUrl}`)
  }
  t.match(
    resolve({ requestTimeoutMs: 2 ** 31 - 1, leaseMarginMs: 2 ** 31 - 1, polling: { maxTimeoutMs: 2 ** 31 - 1, maxRetryTimeMs: 2 ** 31 - 1 } }),
    { requestTimeoutMs: 2 ** 31 - 1, leaseMarginMs: 2 ** 31 - 1, polling: { maxTimeoutMs: 2 ** 31 - 1, maxRetryTimeMs: 2 ** 31 - 1 } },
    'durations up to 2^31-1 ms are accepted',
  )
  t.match(
    resolve({ notifySignedPath: '/public/notify', notifyClientIds: ['A', 'B'], requestTimeToleranceMs: 300_000 }),
    { notifySignedPath: '/public/notify', notifyClientIds: new Set(['A', 'B']), requestTimeToleranceMs: 300_000 },
    'the notify checks',
  )
  t.equal(resolve({ notifyClientIds: '*' }).notifyClientIds, '*', "notifyClientIds '*'")
  t.match(
    resolve({ cancelAfterWindow: true, reconcile: { minAgeMs: 0, maxAgeMs: 2 ** 31 - 1, notFoundGiveUpMs: 2 ** 31 - 1, notFoundMaxWaitMs: 1 } }),
    { cancelAfterWindow: true, reconcile: { minAgeMs: 0, maxAgeMs: 2 ** 31 - 1, notFoundGiveUpMs: 2 ** 31 - 1, notFoundMaxWaitMs: 1 } },
    'cancelAfterWindow, reconcile durations from 0 / 1 up to 2^31-1 ms',
  )
  t.match(
    resolve({ delivery: { leaseMs: 600, maxClockSkewMs: 300, alertAfterAttempts: Number.POSITIVE_INFINITY, retries: 0 } }).delivery,
    { leaseMs: 600, maxClockSkewMs: 300, alertAfterAttempts: Number.POSITIVE_INFINITY, retries: 0 },
    'delivery.maxClockSkewMs up to leaseMs / 2; alertAfterAttempts Infinity (never); no retries',
  )
  t.equal(resolve({ delivery: { leaseMs: 300 } }).delivery.maxClockSkewMs, 50, 'the skew default follows a short claim')
  t.same(resolve({ wakeup: { pollMs: 200 } }).wakeup, { kind: 'poll', pollMs: 200 }, 'wakeup by database poll')
  t.same(resolve({ wakeup: false }).wakeup, { kind: 'off' }, 'wakeup off')
  t.equal(resolve({ reconcile: false }).reconcile, false, 'reconcile off')
  t.equal(resolve({ privateKey: merchant.privateBase64, alipayPublicKey: [alipay.publicBase64] }).alipayPublicKeys.length, 1, 'Base64 keys')
})

t.test('undefined is the default, at every level', async (t) => {
  const defaults = resolve({})
  t.match(defaults, {
    notifyPath: DEFAULTS.notifyPath,
    notifySignedPath: undefined,
    notifyClientIds: new Set(['CLIENT']),
    requestTimeToleranceMs: undefined,
    keyVersion: DEFAULTS.keyVersion,
    requestTimeoutMs: DEFAULTS.requestTimeoutMs,
    notifyBodyLimit: DEFAULTS.notifyBodyLimit,
    polling: DEFAULTS.polling,
    maxConcurrentInquiries: DEFAULTS.maxConcurrentInquiries,
    maxInquiriesPerSecond: DEFAULTS.maxInquiriesPerSecond,
    reconcile: DEFAULTS.reconcile,
    leaseMarginMs: DEFAULTS.leaseMarginMs,
    acceptUnsignedInquiryResponses: false,
    onPaymentResult: undefined,
    delivery: { ...DEFAULTS.delivery, maxClockSkewMs: 5_000 },
    cancelAfterWindow: false,
    onAttention: undefined,
    wakeup: { kind: 'poll', pollMs: DEFAULTS.wakeup.pollMs },
    openTelemetry: { enabled: true, required: false, meterProvider: undefined, tracerProvider: undefined },
    health: DEFAULTS.health,
  })
  t.equal(defaults.models.orders, prisma.paymentOrder, 'the default model names')

  // Every optional option, and every option of every group, given as undefined.
  const optionalKeys = Object.keys(defaults).filter((key) => !['models', 'clientId', 'privateKey', 'alipayPublicKeys', 'gatewayUrl'].includes(key))
  const allUndefined = (keys: readonly string[]) => Object.fromEntries(keys.map((key) => [key, undefined]))
  const groupsUndefined = {
    models: allUndefined(['order', 'event']),
    polling: allUndefined(Object.keys(DEFAULTS.polling)),
    reconcile: allUndefined(Object.keys(DEFAULTS.reconcile)),
    delivery: allUndefined([...Object.keys(DEFAULTS.delivery), 'maxClockSkewMs']),
    wakeup: allUndefined(['pollMs', 'postgres', 'redis', 'channel', 'heartbeatMs', 'timeoutMs', 'maxPending']),
    openTelemetry: allUndefined(['enabled', 'meterProvider', 'tracerProvider']),
    health: allUndefined(Object.keys(DEFAULTS.health)),
  }
  const strip = ({ models: _models, privateKey: _key, alipayPublicKeys: _keys, ...rest }: ReturnType<typeof resolve>) => rest
  t.same(strip(resolve(allUndefined(optionalKeys))), strip(defaults), 'top level: each option undefined is its default')
  t.same(strip(resolve(groupsUndefined)), strip(defaults), 'every group with each option undefined is all defaults')
  for (const [name, group] of Object.entries(groupsUndefined)) {
    if (name === 'models') continue
    t.same(resolve({ [name]: group })[name as keyof typeof defaults], defaults[name as keyof typeof defaults], `${name}: each option undefined is its default`)
  }
  // The reported cases, one by one: each was undefined in effect before.
  t.match(resolve({ reconcile: { intervalMs: undefined } }).reconcile, { intervalMs: 60_000 }, 'reconcile.intervalMs undefined: 60000, not a pass per tick')
  t.equal(resolve({ polling: { maxRetryTimeMs: undefined } }).polling.maxRetryTimeMs, 600_000, 'polling.maxRetryTimeMs undefined: the 10-minute window')
  t.equal(resolve({ delivery: { leaseMs: undefined } }).delivery.maxClockSkewMs, 5_000, 'the skew follows the default claim')
  t.same(
    resolve({ wakeup: { postgres: 'postgresql://127.0.0.1/x', channel: undefined, pollMs: undefined } }).wakeup,
    { kind: 'postgres', connection: 'postgresql://127.0.0.1/x', channel: 'alipayplus_final', liveness: { heartbeatMs: 5_000, timeoutMs: 10_000, maxPending: 10_000 } },
    "a channel's settings left undefined, and the poll's",
  )
})

t.test('unknown options are refused at every level, with the name meant', async (t) => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['top level', { pollling: { minTimeoutMs: 1_000 } }, 'pollling', 'polling'],
    ['top level, case', { gatewayURL: 'https://x.example' }, 'gatewayURL', 'gatewayUrl'],
    ['models', { models: { orders: 'paymentOrder' } }, 'models.orders', 'models.order'],
    ['polling', { polling: { minTimoutMs: 1_000 } }, 'polling.minTimoutMs', 'polling.minTimeoutMs'],
    ['reconcile', { reconcile: { intervalMS: 1_000 } }, 'reconcile.intervalMS', 'reconcile.intervalMs'],
    ['delivery', { delivery: { timeout: 1_000 } }, 'delivery.timeout', 'delivery.timeoutMs'],
    ['wakeup', { wakeup: { postgres: 'postgresql://127.0.0.1/x', chanel: 'x' } }, 'wakeup.chanel', 'wakeup.channel'],
    ['wakeup, its kind', { wakeup: { postgress: 'postgresql://127.0.0.1/x' } }, 'wakeup.postgress', 'wakeup.postgres'],
    ['openTelemetry', { openTelemetry: { enable: false } }, 'openTelemetry.enable', 'openTelemetry.enabled'],
    ['health', { health: { databaseTimeout: 1_000 } }, 'health.databaseTimeout', 'health.databaseTimeoutMs'],
  ]
  for (const [level, overrides, given, meant] of cases) {
    const error = errorOf(() => resolve(overrides))
    t.equal(error?.code, 'FST_ALIPAYPLUS_INVALID_OPTION', level)
    t.match(error?.message, `option "${given}" is unknown: did you mean "${meant}"?`, `${level}: suggests ${meant}`)
  }
  // Nothing near: the group's options are listed instead.
  t.match(errorOf(() => resolve({ wakeup: { pollMs: 100, heartbeatMs: 100 } }))?.message, 'option "wakeup.heartbeatMs" is unknown (the options of wakeup { pollMs }: pollMs)')
  t.match(errorOf(() => resolve({ health: { zzz: 1 } }))?.message, 'option "health.zzz" is unknown (the options of health: databaseTimeoutMs, deliveryBacklogMs)')
  // An unknown key is a mistake whatever its value: undefined too.
  t.match(errorOf(() => resolve({ reconcile: { intervalMS: undefined } }))?.message, 'option "reconcile.intervalMS" is unknown')
  // A key of the application's as long as a key: shortened in the message.
  t.notOk(leaks(errorOf(() => resolve({ [merchant.privateBase64]: 1 }))?.message), 'an unknown key is not shown whole')
  // Fastify passes its own register() options along with ours.
  t.doesNotThrow(() => resolve({ prefix: '/pay', logLevel: 'warn', logSerializers: {} }), "Fastify's register options are let through")
})

t.test('renamed options are refused, naming the new name', async (t) => {
  const cases: Array<[Record<string, unknown>, string, string]> = [
    [{ polling: { minTimeout: 1_000 } }, 'polling.minTimeout', 'polling.minTimeoutMs'],
    [{ polling: { maxTimeout: 1_000 } }, 'polling.maxTimeout', 'polling.maxTimeoutMs'],
    [{ polling: { maxRetryTime: 1_000 } }, 'polling.maxRetryTime', 'polling.maxRetryTimeMs'],
    [{ delivery: { minTimeout: 1_000 } }, 'delivery.minTimeout', 'delivery.minTimeoutMs'],
    [{ delivery: { maxTimeout: 1_000 } }, 'delivery.maxTimeout', 'delivery.maxTimeoutMs'],
    [{ delivery: { maxRetryTime: 1_000 } }, 'delivery.maxRetryTime', 'delivery.maxRetryTimeMs'],
    [{ leaseMs: 30_000 }, 'leaseMs', 'leaseMarginMs'],
  ]
  for (const [overrides, old, renamed] of cases) {
    const error = errorOf(() => resolve(overrides))
    t.equal(error?.code, 'FST_ALIPAYPLUS_INVALID_OPTION', old)
    t.match(error?.message, `option "${old}" was renamed to "${renamed}"`, `${old} names ${renamed}`)
  }
})

t.test("the admin plugin's options", async (t) => {
  t.same(resolveGroup({ prefix: '/ops', readOnly: undefined, operator: undefined }, '', ADMIN_OPTIONS), { readOnly: false, operator: undefined }, 'undefined is the default')
  t.match(errorOf(() => resolveGroup({ readonly: true }, '', ADMIN_OPTIONS))?.message, 'option "readonly" is unknown: did you mean "readOnly"?')
  t.match(errorOf(() => resolveGroup({ readOnly: 'yes' }, '', ADMIN_OPTIONS))?.message, 'option "readOnly" must be a boolean')
})

t.test('registration', async (t) => {
  const { prisma } = await freshPGlite(t)
  const onPGlite: AlipayPlusOptions = { ...valid, prisma }
  const register = async (overrides: Record<string, unknown>) => {
    const app = Fastify()
    try {
      await app.register(fastifyAlipayPlus, { ...onPGlite, ...overrides } as AlipayPlusOptions)
      await app.ready()
    } finally {
      await app.close()
    }
  }

  // Before, an explicit undefined window made every await throw (its timeout was undefined).
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyAlipayPlus, { ...onPGlite, reconcile: false, polling: { maxRetryTimeMs: undefined }, prefix: '/pay' })
  await app.ready()
  await app.alipayplus.store.createOrder({ orderNo: 'u-1', amount: { currency: 'USD', value: '100' } })
  await app.alipayplus.store.recordResult({ orderNo: 'u-1', source: 'notify', status: 'FAIL', payload: '{}' })
  t.match(await app.awaitPaymentResult('u-1'), { status: 'FAIL' }, 'polling.maxRetryTimeMs undefined: the default window, awaits resolve')

  await t.rejects(register({ pollling: {} }), { code: 'FST_ALIPAYPLUS_INVALID_OPTION', message: /did you mean "polling"/ }, 'register refuses a misspelt option')
  await t.rejects(register({ leaseMs: 1_000 }), { message: /"leaseMs" was renamed to "leaseMarginMs"/ }, 'and a renamed one')
  // Connected at ready(): a channel that cannot be reached fails the start, without the password.
  for (const wakeup of [{ postgres: 'postgresql://postgres:s3cret-pw@127.0.0.1:9/x' }, { redis: 'redis://:s3cret-pw@127.0.0.1:9' }]) {
    const error = await register({ reconcile: false, wakeup }).then(
      () => null,
      (e: Error & { code?: string }) => e,
    )
    t.equal(error?.code, 'FST_ALIPAYPLUS_INVALID_OPTION', `${Object.keys(wakeup)[0]} unreachable`)
    t.match(error?.message, 'option "wakeup" ')
    t.notOk(leaks(error?.message), 'no password in the message')
  }
})

t.test('the plugin leaves the PrismaClient connected on close', async (t) => {
  const { prisma } = await freshPGlite(t)
  const app = Fastify()
  await app.register(fastifyAlipayPlus, { ...valid, prisma })
  await app.ready()
  t.equal(typeof app.awaitPaymentResult, 'function')
  t.equal(typeof app.alipayplus.store.createOrder, 'function')
  await app.close()
  t.equal(await prisma.paymentOrder.count(), 0, 'the application client still answers')
})
