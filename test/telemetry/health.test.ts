// fastify.alipayplus.health(): degraded, never down, while the wake-up channel is lost (a
// redis-server of the test's own killed, a LISTEN connection terminated and kept out), ok
// again once it is back; down while the database cannot be reached (and the reconcile pass
// that could not list orders is reported); an undelivered backlog; and the wiring with
// @fastify/under-pressure that docs/observability.md shows, run exactly as shown.
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import diagnostics from 'node:diagnostics_channel'
import underPressure from '@fastify/under-pressure'
import { PrismaPg } from '@prisma/adapter-pg'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import t from 'tap'
import { PrismaClient } from '../../generated/prisma/client.js'
import { WAKEUP_APPLICATION_NAME } from '../../src/wakeup/postgres-channel.js'
import { needsServer, PG_ADMIN_URL } from '../helpers/databases.js'
import { FAST_DELIVERY } from '../helpers/delivery.js'
import { buildMerchantApp } from '../helpers/merchant-app.js'
import { freePort, redisServerSkip, startRedis } from '../helpers/redis-server.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { uniqueChannel } from '../helpers/wakeup.js'
import { alipayKeys, buildWorld, merchantKeys, until } from '../helpers/world.js'

const PG = await needsServer('postgresql')

const statusOf = async (app: FastifyInstance) => (await app.alipayplus.health()).status

t.test('a killed redis-server: degraded, not down, then ok once it is back', { skip: await redisServerSkip('postgresql') }, async (t) => {
  const port = await freePort()
  let redis = await startRedis(port)
  t.teardown(() => void redis.kill('SIGKILL'))
  const { app } = await buildWorld(t, { app: { wakeup: { redis: `redis://127.0.0.1:${port}`, channel: uniqueChannel() } } })
  await until(async () => (await statusOf(app)) === 'ok')
  t.match(await app.alipayplus.health(), {
    status: 'ok',
    checks: {
      database: { status: 'ok' },
      wakeup: { status: 'ok', kind: 'redis', connected: true },
      inquiries: { status: 'ok', pollingLoops: 0, active: 0, queued: 0 },
      delivery: { status: 'ok', enabled: false },
      reconciler: { status: 'ok', enabled: false },
    },
  })

  redis.kill('SIGKILL')
  await once(redis, 'exit')
  await until(async () => (await statusOf(app)) !== 'ok')
  const lost = await app.alipayplus.health()
  t.match(lost, { status: 'degraded', checks: { database: { status: 'ok' }, wakeup: { status: 'degraded', connected: false } } }, 'degraded, never down')

  redis = await startRedis(port)
  await until(async () => (await statusOf(app)) === 'ok')
  t.match((await app.alipayplus.health()).checks.wakeup, { status: 'ok', connected: true })
})

t.test('a terminated LISTEN connection: degraded until it reconnects; the channel says so in order', PG, async (t) => {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  // The LISTEN connection logs in as a role of its own, so that it alone can be kept out.
  const role = `fap_health_${randomBytes(6).toString('hex')}`
  await admin.query(`CREATE ROLE ${role} LOGIN`)
  t.teardown(async () => {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role])
    await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {})
    await admin.end()
  })
  const events: string[] = []
  const onWakeup = (message: unknown) => events.push((message as { event: string }).event)
  diagnostics.subscribe('alipayplus:wakeup', onWakeup)
  t.teardown(() => void diagnostics.unsubscribe('alipayplus:wakeup', onWakeup))
  const asRole = (url: string) => Object.assign(new URL(url), { username: role }).href
  const { app, databaseUrl } = await buildWorld(t, { app: ({ url }) => ({ wakeup: { postgres: asRole(url!), channel: uniqueChannel() } }) })
  t.equal(await statusOf(app), 'ok')

  await admin.query(`ALTER ROLE ${role} NOLOGIN`)
  const { rowCount } = await admin.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND usename = $3',
    [new URL(databaseUrl!).pathname.slice(1), WAKEUP_APPLICATION_NAME, role],
  )
  t.equal(rowCount, 1, 'the LISTEN connection terminated')
  await until(async () => (await statusOf(app)) === 'degraded')
  t.match((await app.alipayplus.health()).checks, { database: { status: 'ok' }, wakeup: { status: 'degraded', kind: 'postgres', connected: false } })

  await admin.query(`ALTER ROLE ${role} LOGIN`)
  await until(async () => (await statusOf(app)) === 'ok')
  await until(() => events.includes('resync'))
  t.same(events, ['connect', 'disconnect', 'connect', 'resync'])
})

t.test('the database out of reach: down; and @fastify/under-pressure wired as the docs show', PG, async (t) => {
  const world = await buildWorld(t, { listen: false })
  const target = new URL(world.databaseUrl!)
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
  t.teardown(() => proxy.close())
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: Object.assign(new URL(target), { port: String(proxy.port) }).href }) })
  t.teardown(() => prisma.$disconnect())
  const { app } = await buildMerchantApp(t, {
    prisma,
    merchant: merchantKeys,
    alipay: alipayKeys,
    onPaymentResult: () => {},
    delivery: FAST_DELIVERY,
    health: { databaseTimeoutMs: 500 },
    reconcile: { intervalMs: 3_600_000 },
    // Exactly as in docs/observability.md:
    setup: async (app) => {
      await app.register(underPressure, {
        exposeStatusRoute: '/health',
        healthCheck: async (fastify) => {
          const health = await fastify.alipayplus.health()
          // degraded still takes traffic (polling goes on); down answers 503
          return health.status === 'down' ? false : { status: health.status }
        },
      })
    },
  })
  const probe = async () => {
    const response = await app.inject({ method: 'GET', url: '/health' })
    return { statusCode: response.statusCode, status: (response.json() as { status?: string }).status }
  }
  t.same(await probe(), { statusCode: 200, status: 'ok' })
  t.match(await app.alipayplus.health(), { checks: { delivery: { status: 'ok', enabled: true, oldestUndeliveredAt: null } } })

  proxy.cut()
  const down = await app.alipayplus.health()
  t.match(down, { status: 'down', checks: { database: { status: 'down', error: String } } })
  t.notMatch(down.checks.database.error ?? '', /password/i, 'no secret in the error')
  t.equal((await probe()).statusCode, 503, 'the status route answers 503')
  t.equal(await app.alipayplus.reconcileNow(), 0)
  t.match((await app.alipayplus.health()).checks.reconciler, { status: 'degraded', enabled: true, lastError: String, lastStarted: 0 })

  proxy.restore()
  await until(async () => (await probe()).statusCode === 200)
  t.same(await probe(), { statusCode: 200, status: 'degraded' }, 'degraded still answers 200: the last reconcile pass failed')
  t.match(await app.alipayplus.health(), { checks: { database: { status: 'ok' }, reconciler: { status: 'degraded' } } })
  await app.alipayplus.reconcileNow()
  t.match(await app.alipayplus.health(), { status: 'ok', checks: { reconciler: { status: 'ok', lastError: null, lastPassAt: String } } })
  t.same(await probe(), { statusCode: 200, status: 'ok' })
})

t.test('a result left undelivered past deliveryBacklogMs: degraded until delivered', PG, async (t) => {
  let refuse = true
  const world = await buildWorld(t, {
    app: {
      delivery: { ...FAST_DELIVERY, minTimeoutMs: 60_000, maxTimeoutMs: 60_000 },
      onPaymentResult: () => {
        if (refuse) throw new Error('downstream refused')
      },
      health: { deliveryBacklogMs: 1 },
    },
  })
  await world.order('late-1')
  world.sim.completePayment('late-1', { status: 'SUCCESS' })
  await until(async () => (await world.store.getOrder('late-1'))?.deliveryAttempts === 1)
  const late = await world.app.alipayplus.health()
  t.match(late, { status: 'degraded', checks: { delivery: { status: 'degraded', oldestUndeliveredAt: String } } })
  refuse = false
  await world.prisma.paymentOrder.updateMany({ where: { orderNo: 'late-1' }, data: { deliveryDueAt: null } })
  await world.app.alipayplus.sweepDeliveries()
  await until(async () => (await world.store.getOrder('late-1'))?.deliveredAt != null)
  t.equal(await statusOf(world.app), 'ok')
})
