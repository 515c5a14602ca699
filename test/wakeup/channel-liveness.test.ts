// A wake-up connection whose TCP path goes silent (no FIN, no RST: a TCP proxy that stops
// forwarding) is noticed by its heartbeat, dropped and opened again, and the instance looks its
// awaited orders up again; fastify.close() returns while the socket is stalled. Instances A and
// B talk to the server directly (B answers the notifications); C, the one awaiting, reaches it
// through the proxy. Ticks are ten minutes apart, so a waiter that resolves was woken.
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import type { ChannelLivenessOptions, WakeupOptions } from '../../src/wakeup/wakeup-options.js'
import { type Backend, backendNamed, needsServer } from '../helpers/databases.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { buildInstances, closesInTime, uniqueChannel, withinPatience } from '../helpers/wakeup.js'
import { freePort, redisServerSkip, startRedis } from '../helpers/redis-server.js'
import { until } from '../helpers/world.js'

t.setTimeout(300_000)

// Heartbeats every 100 ms, each due back within 2 s: a loaded machine may drop a healthy
// connection now and then, which costs a reconnect and a lookup, never a result.
const LIVENESS = { heartbeatMs: 100, timeoutMs: 2_000 }

interface Address {
  host: string
  port: number
}

interface Setup {
  label: string
  backend: Backend
  /** The channel's connections to its server. */
  connections: number
  skip(): Promise<string | undefined>
  /** Starts what the channel needs before the instances: a redis-server of the test's own. */
  prepare(t: Test): Promise<Address | undefined>
  /** The channel's server: the world's PostgreSQL, or that redis-server. */
  address(prepared: Address | undefined, databaseUrl: string | undefined): Address
  wakeup(address: Address, databaseUrl: string | undefined, channel: string, liveness?: ChannelLivenessOptions): WakeupOptions
}

const SETUPS: Setup[] = [
  {
    label: 'PostgreSQL LISTEN/NOTIFY',
    backend: backendNamed('postgresql'),
    connections: 1,
    skip: async () => (await needsServer('postgresql')).skip,
    prepare: async () => undefined,
    address: (_prepared, url) => {
      const { hostname, port } = new URL(url!)
      return { host: hostname, port: Number(port || 5432) }
    },
    wakeup: ({ port }, url, channel, liveness = LIVENESS) => ({ postgres: Object.assign(new URL(url!), { port: String(port) }).href, channel, ...liveness }),
  },
  {
    label: 'MariaDB with Redis pub/sub',
    backend: backendNamed('mysql'),
    connections: 2,
    skip: redisServerSkip,
    prepare: async (t) => {
      const port = await freePort()
      await startRedis(port, t)
      return { host: '127.0.0.1', port }
    },
    address: (prepared) => prepared!,
    wakeup: ({ port }, _url, channel, liveness = LIVENESS) => ({ redis: `redis://127.0.0.1:${port}`, channel, ...liveness }),
  },
]

const channelOf = (app: FastifyInstance) => app.alipayplus.wakeupStats()!.channel!

for (const setup of SETUPS) {
  t.test(`${setup.label}: a stalled socket is noticed, replaced and resynced; close() returns while it is stalled`, { skip: await setup.skip() }, async (t) => {
    const channel = uniqueChannel()
    const prepared = await setup.prepare(t)
    const { world } = await buildInstances(t, 2, setup.backend, (url) => setup.wakeup(setup.address(prepared, url), url, channel))
    const proxy = await startTcpProxy(setup.address(prepared, world.databaseUrl))
    t.teardown(() => proxy.close())
    const c = await world.addApp({ wakeup: setup.wakeup({ host: '127.0.0.1', port: proxy.port }, world.databaseUrl, channel) })
    await until(() => channelOf(c).lastHeartbeatAt !== null)

    await world.order('stall-1')
    const first = c.awaitPaymentResult('stall-1')
    await until(() => c.alipayplus.stats().inquiries === 1)
    const before = channelOf(c)
    proxy.stall()
    // B records the result and announces it; C cannot hear it on its dead connection.
    world.sim.completePayment('stall-1', { status: 'SUCCESS', notify: true })
    await until(async () => (await world.store.getOrder('stall-1'))?.status === 'SUCCESS')
    await until(() => channelOf(c).heartbeatsMissed > before.heartbeatsMissed)
    t.equal(channelOf(c).state, 'reconnecting', 'the silent connection was noticed; a new one cannot get through yet')
    // Reconnect attempts into the black hole, one per connection: they must give up and try
    // again, not hang.
    const attempts = proxy.accepted
    await until(() => proxy.accepted >= attempts + setup.connections)

    proxy.restore()
    t.match(await withinPatience(first, 'the waiter on C, by the resync after the reconnect'), { status: 'SUCCESS', source: 'notify' })
    await until(() => channelOf(c).reconnects > before.reconnects && channelOf(c).state === 'connected')

    await world.order('stall-2')
    const second = c.awaitPaymentResult('stall-2')
    await until(() => c.alipayplus.stats().inquiries === 2)
    world.sim.completePayment('stall-2', { status: 'FAIL', notify: true })
    t.match(await withinPatience(second, 'the waiter on C, by a message on the new connection'), { status: 'FAIL', source: 'notify' })
    t.equal(c.alipayplus.stats().inquiries, 2, 'one inquiry per order: the results came by the wake-up, not by a tick')

    // Stalled again, with an announcement on the wire: close() must not wait for it. D's
    // timeouts are far away, so that only close() itself can end the wait.
    const d = await world.addApp({ wakeup: setup.wakeup({ host: '127.0.0.1', port: proxy.port }, world.databaseUrl, channel, { heartbeatMs: 600_000, timeoutMs: 600_000 }) })
    proxy.stall()
    await world.order('stall-3')
    await d.alipayplus.store.recordResult({ orderNo: 'stall-3', source: 'inquiry', status: 'FAIL', payload: {} })
    t.equal(channelOf(d).inFlight, 1, "D's announcement is on the stalled wire")
    await closesInTime(d.close(), 'fastify.close() with the wake-up socket stalled and a message in flight')
    await closesInTime(c.close(), 'fastify.close() with the wake-up socket stalled')
    t.equal(channelOf(d).state, 'closed')
    t.equal(channelOf(c).state, 'closed')
  })
}
