// Losing the wake-up channel never loses a result, and the channel comes back: a LISTEN
// connection terminated by PostgreSQL, and a Redis server killed and restarted. Two instances;
// B answers the notifications, A awaits with ticks ten minutes apart.
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import pg from 'pg'
import t from 'tap'
import { WAKEUP_APPLICATION_NAME } from '../../src/wakeup/postgres-channel.js'
import { backendNamed, needsServer, PG_ADMIN_URL } from '../helpers/databases.js'
import { freePort, ownRedisSkip, startRedis } from '../helpers/redis-server.js'
import { buildInstances, uniqueChannel, withinPatience } from '../helpers/wakeup.js'
import { logsOf, until } from '../helpers/world.js'

t.setTimeout(300_000)

t.test('PostgreSQL: a terminated LISTEN connection loses nothing and is reconnected', await needsServer('postgresql'), async (t) => {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  // The LISTEN connections log in as a role of their own, so that they alone can be kept out.
  const role = `fap_wake_${randomBytes(6).toString('hex')}`
  await admin.query(`CREATE ROLE ${role} LOGIN`)
  t.teardown(async () => {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role])
    await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {})
    await admin.end()
  })
  const asRole = (url: string) => Object.assign(new URL(url), { username: role }).href
  const { world, instances } = await buildInstances(t, 2, backendNamed('postgresql'), (url) => ({ postgres: asRole(url!), channel: uniqueChannel() }))
  const [a] = instances
  const database = new URL(world.databaseUrl!).pathname.slice(1)
  const listeners = async () => {
    const { rows } = await admin.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND usename = $3',
      [database, WAKEUP_APPLICATION_NAME, role],
    )
    return rows.map((row) => row.pid)
  }
  await until(async () => (await listeners()).length === 2)
  const before = await listeners()

  await world.order('drop-1')
  const first = a!.awaitPaymentResult('drop-1')
  await until(() => a!.alipayplus.stats().inquiries === 1)
  // Both instances' LISTEN connections go and cannot come back while B records the
  // notification: B's NOTIFY cannot be sent, and A could not hear it.
  await admin.query(`ALTER ROLE ${role} NOLOGIN`)
  await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [before])
  world.sim.completePayment('drop-1', { status: 'SUCCESS', notify: true })
  await until(async () => (await world.store.getOrder('drop-1'))?.status === 'SUCCESS')
  t.same(await listeners(), [], 'no LISTEN connection while B recorded the result')
  await admin.query(`ALTER ROLE ${role} LOGIN`)
  t.match(await withinPatience(first, 'the waiter on A across the outage'), { status: 'SUCCESS', source: 'notify' })

  await until(async () => {
    const now = await listeners()
    return now.length === 2 && now.every((pid) => !before.includes(pid))
  })
  t.ok(logsOf(a!).some((line) => line.msg.includes('LISTEN connection lost')), 'the drop was logged')

  await world.order('drop-2')
  const second = a!.awaitPaymentResult('drop-2')
  await until(() => a!.alipayplus.stats().inquiries === 2)
  world.sim.completePayment('drop-2', { status: 'FAIL', notify: true })
  t.match(await withinPatience(second, 'the waiter on A after the reconnect'), { status: 'FAIL', source: 'notify' })
  t.equal(a!.alipayplus.stats().inquiries, 2, 'one inquiry per order: the results came by the wake-up, not by a tick')
})

const redisSkip = await ownRedisSkip()

t.test('MariaDB with Redis: a Redis restart loses nothing and the channel comes back', { skip: redisSkip }, async (t) => {
  const port = await freePort()
  let redis = await startRedis(port)
  t.teardown(() => void redis.kill('SIGKILL'))
  const { world, instances } = await buildInstances(t, 2, backendNamed('mysql'), () => ({ redis: `redis://127.0.0.1:${port}`, channel: uniqueChannel() }))
  const [a] = instances

  await world.order('restart-1')
  const first = a!.awaitPaymentResult('restart-1')
  await until(() => a!.alipayplus.stats().inquiries === 1)
  redis.kill('SIGKILL')
  await once(redis, 'exit')
  // B records the notification while Redis is down: its message cannot be sent yet.
  world.sim.completePayment('restart-1', { status: 'SUCCESS', notify: true })
  await until(async () => (await world.store.getOrder('restart-1'))?.status === 'SUCCESS')
  redis = await startRedis(port)
  t.match(await withinPatience(first, 'the waiter on A across the restart'), { status: 'SUCCESS', source: 'notify' })

  await world.order('restart-2')
  const second = a!.awaitPaymentResult('restart-2')
  await until(() => a!.alipayplus.stats().inquiries === 2)
  world.sim.completePayment('restart-2', { status: 'FAIL', notify: true })
  t.match(await withinPatience(second, 'the waiter on A after the restart'), { status: 'FAIL', source: 'notify' })
  t.equal(a!.alipayplus.stats().inquiries, 2, 'one inquiry per order: the results came by the wake-up, not by a tick')
})
