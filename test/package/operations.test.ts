// Operating the package as a merchant gets it: a throw-away app made by the README's Quick start
// from the packed tarball (SQLite, its own Prisma schema), with an OpenTelemetry SDK, the undici
// instrumentation and the admin routes, runs test/package/fixtures/ops-app.mjs: two results
// whose onPaymentResult fails until its retries are used up, found by the admin API and routes,
// retried, delivered with the same idempotency key; on the way health() (degraded by that
// backlog, then by the wake-up channel's Redis going away), the spans and the metrics.
// Needs the npm registry (or an npm cache holding what the Quick start and the SDK install).
import { copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { REQUIRE_SERVERS } from '../helpers/databases.js'
import { codeBlocks, projectMarkdown } from '../helpers/markdown.js'
import { installedVersion, OFFLINE_PRISMA, packTarball, QUIET_INSTALL, quickstartScript, run, scratchDir } from '../helpers/packed-package.js'
import { freePort, hasRedisServer, startRedis } from '../helpers/redis-server.js'

// A build, the Quick start's installs, a Prisma generation and the app's run: its own limit.
t.setTimeout(900_000)

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url))
/**
 * The undici instrumentation is the application's choice, not a package of this repository:
 * 0.33 is its last release for Node.js 20 and @opentelemetry/core 2 (0.34 needs Node.js 22.15).
 * @opentelemetry/instrumentation at the version it depends on: the app calls its
 * registerInstrumentations.
 */
const UNDICI_INSTRUMENTATION = ['@opentelemetry/instrumentation-undici@0.33.0', '@opentelemetry/instrumentation@0.223.0']
/** What the app adds to the Quick start, at this repository's versions (a warm npm cache has them). */
const FROM_THIS_REPOSITORY = [
  '@opentelemetry/api',
  '@opentelemetry/context-async-hooks',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/sdk-trace-base',
  '@fastify/basic-auth',
  // For wakeup: { redis }, as the README says.
  'ioredis',
]

interface Span {
  name: string
  kind: number
  traceId: string
  spanId: string
  parentSpanId: string | null
  /** SpanStatusCode: 0 unset, 1 ok, 2 error. */
  status: number
  attributes: Record<string, unknown>
}
interface Point {
  attributes: Record<string, unknown>
  value: number
}
interface OrderSummary {
  orderNo: string
  status: string
  deliveryAttempts: number
  deliveryError: string | null
  gaveUp: boolean
  delivered: boolean
  deliveryRequestedBy: string | null
}
interface Seen {
  byInquiry: { status: string; source: string }
  calls: Array<{ orderNo: string; idempotencyKey: string; attempt: number; manual: boolean; ok: boolean }>
  whileExhausted: {
    health: Record<string, string | null>
    listed: OrderSummary[]
    counts: Record<string, number>
    http: {
      withoutAuth: number
      page: { status: number; type: string; csp: string | null }
      views: { status: number; body: Record<string, number> }
      listed: { status: number; orders: OrderSummary[] }
      postWithoutHeader: number
    }
  }
  retriedByApi: { changed: boolean; order: OrderSummary }
  retriedByHttp: { status: number; changed: boolean; order: OrderSummary }
  afterRetry: { health: Record<string, string | null>; listed: OrderSummary[]; orders: OrderSummary[]; counts: Record<string, number> }
  metrics: Record<string, Point[]>
  spans: Span[]
  /** null when the app ran without a Redis. */
  wakeupLost: { before: WakeupSummary; after: { status: string; wakeup: WakeupSummary } } | null
}
interface WakeupSummary {
  status: string
  kind: string
  connected: boolean | null
}

const SPAN_CLIENT = 2
const STATUS_ERROR = 2
const ORDERS = ['ops-inquiry', 'ops-notify']

t.test('the ops app, made by the Quick start from the packed tarball', async (t) => {
  const work = await scratchDir(t, 'fap-ops-')
  const { tarball } = await packTarball(work)
  const app = join(work, 'app')
  await run('mkdir', ['-p', app], work, 'mkdir')
  const readme = (await projectMarkdown()).find((page) => page.file === 'README.md')!
  const quickstart = codeBlocks(readme.file, readme.text).find((block) => block.lang === 'bash' && block.tags.includes('quickstart'))!
  await run('bash', ['-c', quickstartScript(quickstart.code, tarball)], app, 'the README Quick start (SQLite)', { env: OFFLINE_PRISMA })
  const versions = await Promise.all(FROM_THIS_REPOSITORY.map(async (name) => `${name}@${await installedVersion(name)}`))
  await run('npm', ['install', ...versions, ...UNDICI_INSTRUMENTATION, ...QUIET_INSTALL, '--prefer-offline'], app, 'npm install of the SDK, the undici instrumentation and @fastify/basic-auth')
  await copyFile(join(fixtures, 'ops-app.mjs'), join(app, 'ops-app.mjs'))
  // The app's wake-up channel on a Redis of this test's own, which the app stops.
  const withRedis = hasRedisServer() || REQUIRE_SERVERS
  const redisPort = await freePort()
  if (withRedis) await startRedis(redisPort, t)
  const env = withRedis ? { REDIS_URL: `redis://127.0.0.1:${redisPort}` } : {}
  const { stdout } = await run('npx', ['tsx', 'ops-app.mjs'], app, 'the ops app (npx tsx ops-app.mjs)', { env, timeoutMs: 120_000 })
  const seen = JSON.parse(stdout) as Seen

  t.same(seen.byInquiry, { status: 'SUCCESS', source: 'inquiry' }, 'one result found by polling')

  await t.test('retries used up: both results are dead letters, listed by the admin API and routes', async (t) => {
    const failed = seen.calls.filter((call) => !call.ok)
    for (const orderNo of ORDERS) {
      t.same(failed.filter((call) => call.orderNo === orderNo).map((call) => [call.attempt, call.manual]), [[1, false], [2, false]], `${orderNo}: two runs, then no more`)
    }
    const deadLetter = (orderNo: string) => ({
      orderNo,
      status: 'SUCCESS',
      deliveryAttempts: 2,
      deliveryError: 'Error: the shop database is down',
      gaveUp: true,
      delivered: false,
      deliveryRequestedBy: null,
    })
    t.same(seen.whileExhausted.listed, ORDERS.map(deadLetter), "listOrders({ view: 'delivery_exhausted' })")
    t.match(seen.whileExhausted.counts, { delivery_exhausted: 2, undelivered: 0 }, 'countOrders()')
    const { http } = seen.whileExhausted
    t.equal(http.withoutAuth, 401, 'the host\'s Basic auth guards the routes')
    t.match(http.page, { status: 200, type: /^text\/html/, csp: /default-src 'none'/ }, 'GET / is the ops page, under its CSP')
    t.match(http.views, { status: 200, body: { delivery_exhausted: 2 } }, 'GET /api/views')
    t.same(http.listed, { status: 200, orders: ORDERS.map(deadLetter) }, 'GET /api/orders?view=delivery_exhausted')
    t.equal(http.postWithoutHeader, 403, 'a POST without x-alipayplus-admin is refused')
  })

  await t.test('health() is degraded while results wait for the handler, and ok once delivered', async (t) => {
    t.match(seen.whileExhausted.health, { status: 'degraded', database: 'ok', wakeup: 'ok', delivery: 'degraded', reconciler: 'ok' }, 'degraded by the delivery check alone')
    t.type(seen.whileExhausted.health.oldestUndeliveredAt, 'string', 'naming when the oldest waiting result became final')
    t.match(seen.afterRetry.health, { status: 'ok', delivery: 'ok', oldestUndeliveredAt: null }, 'ok once both are delivered')
  })

  await t.test('health() is degraded once the wake-up channel\'s Redis is gone', { skip: withRedis ? false : 'redis-server is not installed' }, async (t) => {
    t.same(seen.wakeupLost, {
      before: { status: 'ok', kind: 'redis', connected: true },
      after: { status: 'degraded', wakeup: { status: 'degraded', kind: 'redis', connected: false } },
    })
  })

  await t.test('retryDelivery (API and route) makes them due: the handler succeeds with the same idempotency key', async (t) => {
    t.match(seen.retriedByApi, { changed: true, order: { orderNo: 'ops-inquiry', gaveUp: false, deliveryRequestedBy: 'alice' } }, 'API: due again, who asked kept')
    t.match(seen.retriedByHttp, { status: 200, changed: true, order: { orderNo: 'ops-notify', gaveUp: false, deliveryRequestedBy: 'ops' } }, 'route: the operator is the Basic auth user')
    for (const orderNo of ORDERS) {
      const calls = seen.calls.filter((call) => call.orderNo === orderNo)
      const succeeded = calls.filter((call) => call.ok)
      t.equal(succeeded.length, 1, `${orderNo}: one successful run`)
      t.match(succeeded[0], { attempt: 1, manual: true }, `${orderNo}: attempts counted afresh, marked manual`)
      t.same(new Set(calls.map((call) => call.idempotencyKey)).size, 1, `${orderNo}: every run had the same idempotency key`)
    }
    t.not(seen.calls.find((c) => c.orderNo === 'ops-inquiry')!.idempotencyKey, seen.calls.find((c) => c.orderNo === 'ops-notify')!.idempotencyKey, 'one key per result')
    t.same(seen.afterRetry.listed, [], 'no dead letter left')
    t.same(
      seen.afterRetry.orders.map((order) => [order.orderNo, order.delivered, order.gaveUp, order.deliveryAttempts, order.deliveryError]),
      ORDERS.map((orderNo) => [orderNo, true, false, 1, null]),
      'both marked delivered by the one run',
    )
    t.match(seen.afterRetry.counts, { delivery_exhausted: 0, undelivered: 0 })
  })

  await t.test('spans: deliver runs with their orderNo, the handler\'s span inside; the HTTP call inside the inquiry span', async (t) => {
    const deliver = seen.spans.filter((span) => span.name === 'alipayplus deliver')
    for (const orderNo of ORDERS) {
      const runs = deliver.filter((span) => span.attributes['alipayplus.order_no'] === orderNo)
      t.same(
        runs.map((span) => [span.attributes['alipayplus.delivery.attempt'], span.attributes['alipayplus.status'], span.status === STATUS_ERROR, span.attributes['error.type'] ?? null]),
        [[1, 'SUCCESS', true, 'SHOP_DB_DOWN'], [2, 'SUCCESS', true, 'SHOP_DB_DOWN'], [1, 'SUCCESS', false, null]],
        `${orderNo}: two failed runs, then the retried one`,
      )
    }
    const shop = seen.spans.filter((span) => span.name === 'shop fulfil')
    t.equal(shop.length, deliver.length, 'one handler span per run')
    const deliverIds = new Set(deliver.map((span) => span.spanId))
    t.ok(shop.every((span) => span.parentSpanId !== null && deliverIds.has(span.parentSpanId)), 'each handler span nests in a deliver span')

    const inquiry = seen.spans.filter((span) => span.name === 'alipayplus inquiryPayment')
    t.equal(inquiry.length, 1, 'one inquiry')
    t.match(inquiry, [{ kind: SPAN_CLIENT, attributes: { 'alipayplus.order_no': 'ops-inquiry', 'alipayplus.outcome': 'final' } }], 'one inquiry, final')
    const httpCalls = seen.spans.filter((span) => span.kind === SPAN_CLIENT && String(span.attributes['url.full'] ?? '').endsWith('/v1/payments/inquiryPayment'))
    t.equal(httpCalls.length, 1, 'the undici instrumentation saw one inquiryPayment request')
    t.match(httpCalls[0], { traceId: inquiry[0]?.traceId, parentSpanId: inquiry[0]?.spanId, attributes: { 'http.request.method': 'POST', 'http.response.status_code': 200 } }, 'its span nests in the inquiry span')
  })

  await t.test('metrics: the delivery runs, failures and lag; the results and the notification', async (t) => {
    const { metrics } = seen
    const value = (name: string, attributes: Record<string, unknown>) =>
      (metrics[name] ?? []).filter((point) => Object.entries(attributes).every(([key, v]) => point.attributes[key] === v)).reduce((sum, point) => sum + point.value, 0)
    t.same(metrics['alipayplus.delivery.failures'], [{ attributes: { 'error.type': 'SHOP_DB_DOWN' }, value: 4 }], 'four failed runs')
    t.equal(value('alipayplus.delivery.duration', { 'alipayplus.outcome': 'failed', 'error.type': 'SHOP_DB_DOWN' }), 4, 'duration of the failed runs')
    t.equal(value('alipayplus.delivery.duration', { 'alipayplus.outcome': 'delivered' }), 2, 'and of the delivered ones')
    // Attempt 1 of each result: the first run and the retried one.
    t.equal(value('alipayplus.delivery.lag', { 'alipayplus.status': 'SUCCESS' }), 4, 'lag of every first run')
    t.equal(value('alipayplus.payment.results', { 'alipayplus.status': 'SUCCESS', 'alipayplus.source': 'inquiry' }), 1)
    t.equal(value('alipayplus.payment.results', { 'alipayplus.status': 'SUCCESS', 'alipayplus.source': 'notify' }), 1)
    t.equal(value('alipayplus.notifications', { 'alipayplus.answer': 'S', 'alipayplus.reason': 'recorded' }), 1, 'the notification that decided ops-notify')
    t.equal(value('alipayplus.client.operation.duration', { 'alipayplus.operation': 'inquiryPayment', 'alipayplus.outcome': 'final' }), 1)
  })
})
