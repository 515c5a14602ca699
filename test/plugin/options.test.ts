// register() refuses every misconfiguration up front, naming the option, and never echoes keys.
import Fastify from 'fastify'
import t from 'tap'
import fastifyAlipayPlus, { type AlipayPlusOptions } from '../../src/index.js'
import { freshPGlite } from '../helpers/databases.js'
import { rsaKeyPair } from '../helpers/keys.js'

const merchant = rsaKeyPair()
const alipay = rsaKeyPair()

t.test('options are checked at register', async (t) => {
  const { prisma } = await freshPGlite(t)
  const valid: AlipayPlusOptions = {
    prisma,
    clientId: 'CLIENT',
    privateKey: merchant.privatePem,
    alipayPublicKey: alipay.publicPem,
    gatewayUrl: 'https://open-sea-global.alipayplus.com',
    reconcile: false,
  }
  const register = async (overrides: Record<string, unknown>) => {
    const app = Fastify()
    try {
      await app.register(fastifyAlipayPlus, { ...valid, ...overrides } as AlipayPlusOptions)
      await app.ready()
    } finally {
      await app.close()
    }
  }

  await t.resolves(register({}), 'the valid configuration registers')

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
    ['polling.maxTimeoutMs below minTimeoutMs', { polling: { minTimeoutMs: 5000, maxTimeoutMs: 1000 } }, 'polling.maxTimeoutMs'],
    ['polling.factor below 1', { polling: { factor: 0.5 } }, 'polling.factor'],
    ['reconcile.intervalMs zero', { reconcile: { intervalMs: 0 } }, 'reconcile.intervalMs'],
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
    ['leaseMs above 2^31-1', { leaseMs: 2 ** 31 }, 'leaseMs'],
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
    ['delivery.maxClockSkewMs above leaseMs / 2', { onPaymentResult: () => {}, delivery: { leaseMs: 1_000, maxClockSkewMs: 501 } }, 'delivery.maxClockSkewMs'],
    ['delivery.maxClockSkewMs negative', { onPaymentResult: () => {}, delivery: { maxClockSkewMs: -1 } }, 'delivery.maxClockSkewMs'],
    ['delivery.alertAfterAttempts zero', { onPaymentResult: () => {}, delivery: { alertAfterAttempts: 0 } }, 'delivery.alertAfterAttempts'],
    ['delivery.alertAfterAttempts fractional', { onPaymentResult: () => {}, delivery: { alertAfterAttempts: 1.5 } }, 'delivery.alertAfterAttempts'],
    ['wakeup a bare URL', { wakeup: 'redis://127.0.0.1:6379' }, 'wakeup'],
    ['wakeup empty', { wakeup: {} }, 'wakeup'],
    ['wakeup with two channels', { wakeup: { postgres: 'postgresql://127.0.0.1/x', redis: 'redis://127.0.0.1' } }, 'wakeup'],
    ['wakeup.pollMs zero', { wakeup: { pollMs: 0 } }, 'wakeup'],
    ['wakeup.pollMs above 2^31-1', { wakeup: { pollMs: 2 ** 31 } }, 'wakeup'],
    ['wakeup poll with a channel', { wakeup: { pollMs: 100, channel: 'x' } }, 'wakeup'],
    ['wakeup misspelt setting', { wakeup: { postgres: 'postgresql://127.0.0.1/x', chanel: 'x' } }, 'wakeup'],
    ['wakeup postgres channel not an identifier', { wakeup: { postgres: 'postgresql://127.0.0.1/x', channel: 'Final; DROP' } }, 'wakeup'],
    ['wakeup redis not a URL or client', { wakeup: { redis: 6379 } }, 'wakeup'],
    ['openTelemetry not an object', { openTelemetry: true }, 'openTelemetry'],
    ['openTelemetry.enabled not a boolean', { openTelemetry: { enabled: 'yes' } }, 'openTelemetry.enabled'],
    ['openTelemetry.meterProvider without getMeter', { openTelemetry: { meterProvider: {} } }, 'openTelemetry.meterProvider'],
    ['openTelemetry.tracerProvider without getTracer', { openTelemetry: { tracerProvider: { getMeter() {} } } }, 'openTelemetry.tracerProvider'],
    ['health.databaseTimeoutMs zero', { health: { databaseTimeoutMs: 0 } }, 'health.databaseTimeoutMs'],
    ['health.deliveryBacklogMs not an integer', { health: { deliveryBacklogMs: 1.5 } }, 'health.deliveryBacklogMs'],
    // Connected at ready(): a channel that cannot be reached fails the start, without the password.
    ['wakeup postgres unreachable', { wakeup: { postgres: 'postgresql://postgres:s3cret-pw@127.0.0.1:9/x' } }, 'wakeup'],
    ['wakeup redis unreachable', { wakeup: { redis: 'redis://:s3cret-pw@127.0.0.1:9' } }, 'wakeup'],
  ]
  for (const [name, overrides, option] of cases) {
    const error = await register(overrides).then(
      () => null,
      (e: Error & { code?: string }) => e,
    )
    t.equal(error?.code, 'FST_ALIPAYPLUS_INVALID_OPTION', name)
    t.match(error?.message, new RegExp(`option "${option.replace('.', '\\.')}"`), `${name}: names the option`)
    t.notOk(error?.message.includes(truncatedKey.slice(60, 120)), `${name}: no key material in the message`)
    t.notOk(JSON.stringify(error?.cause ?? null).includes(truncatedKey.slice(60, 120)), `${name}: none in the cause`)
    t.notOk(error?.message.includes('s3cret-pw'), `${name}: no password in the message`)
  }

  for (const gatewayUrl of ['http://127.0.0.1:8080', 'http://127.1.2.3:8080/sandbox', 'http://[::1]:8080', 'http://localhost:8080', 'http://2130706433:8080']) {
    await t.resolves(register({ gatewayUrl }), `http is accepted for loopback: ${gatewayUrl}`)
  }
  await t.resolves(
    register({ requestTimeoutMs: 2 ** 31 - 1, leaseMs: 2 ** 31 - 1, polling: { maxTimeoutMs: 2 ** 31 - 1, maxRetryTimeMs: 2 ** 31 - 1 } }),
    'durations up to 2^31-1 ms are accepted',
  )
  await t.resolves(
    register({ notifySignedPath: '/public/notify', notifyClientIds: ['A', 'B'], requestTimeToleranceMs: 300_000 }),
    'the notify checks',
  )
  await t.resolves(register({ notifyClientIds: '*' }), "notifyClientIds '*'")
  await t.resolves(register({ maxInquiriesPerSecond: 1 }), 'maxInquiriesPerSecond 1')
  await t.resolves(
    register({
      cancelAfterWindow: true,
      onAttention: async () => {},
      reconcile: { maxAgeMs: 2 ** 31 - 1, notFoundGiveUpMs: 2 ** 31 - 1, notFoundMaxWaitMs: 1 },
    }),
    'cancelAfterWindow, onAttention, reconcile durations up to 2^31-1 ms',
  )
  await t.resolves(
    register({ onPaymentResult: () => {}, delivery: { leaseMs: 600, maxClockSkewMs: 300, alertAfterAttempts: Number.POSITIVE_INFINITY } }),
    'delivery.maxClockSkewMs up to leaseMs / 2; alertAfterAttempts Infinity (never)',
  )
  await t.resolves(register({ onPaymentResult: () => {}, delivery: { leaseMs: 300 } }), 'the skew default follows a short claim')
  await t.resolves(register({ wakeup: { pollMs: 200 } }), 'wakeup by database poll')
  await t.resolves(register({ wakeup: false }), 'wakeup off')
  await t.resolves(register({ privateKey: merchant.privateBase64, alipayPublicKey: [alipay.publicBase64] }), 'Base64 keys')
})

t.test('the plugin leaves the PrismaClient connected on close', async (t) => {
  const { prisma } = await freshPGlite(t)
  const app = Fastify()
  await app.register(fastifyAlipayPlus, {
    prisma,
    clientId: 'CLIENT',
    privateKey: merchant.privatePem,
    alipayPublicKey: alipay.publicPem,
    gatewayUrl: 'https://open-sea-global.alipayplus.com',
  })
  await app.ready()
  t.equal(typeof app.awaitPaymentResult, 'function')
  t.equal(typeof app.alipayplus.store.createOrder, 'function')
  await app.close()
  t.equal(await prisma.paymentOrder.count(), 0, 'the application client still answers')
})
