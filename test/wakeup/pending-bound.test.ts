// While a wake-up socket is stalled (no FIN, no RST), what waits to be sent stays at its cap:
// 300,000 finalizations announced behind a black-holed path keep maxPending messages (the
// oldest dropped, counted, logged once), one batch on the wire, and close() still returns.
import { Writable } from 'node:stream'
import Fastify, { type FastifyBaseLogger } from 'fastify'
import t, { type Test } from 'tap'
import { PostgresWakeChannel } from '../../src/wakeup/postgres-channel.js'
import { RedisWakeChannel } from '../../src/wakeup/redis-channel.js'
import type { WakeChannel } from '../../src/wakeup/wake-channel.js'
import { WAKEUP_DEFAULTS } from '../../src/wakeup/wakeup-options.js'
import { createEmptyPostgres, needsServer } from '../helpers/databases.js'
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js'
import { closesInTime, uniqueChannel } from '../helpers/wakeup.js'
import { freePort, redisServerSkip, startRedis } from '../helpers/redis-server.js'
import { until } from '../helpers/world.js'

t.setTimeout(300_000)

const ANNOUNCED = 300_000
// Long enough that no heartbeat drops the stalled connection during the test: the cap alone holds.
const LIVENESS = { heartbeatMs: 600_000, timeoutMs: 600_000, maxPending: WAKEUP_DEFAULTS.maxPending }

function capturingLog(): { log: FastifyBaseLogger; lines: Array<{ msg: string; dropped?: number }> } {
  const lines: Array<{ msg: string }> = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { msg: string })
      done()
    },
  })
  return { log: Fastify({ logger: { level: 'warn', stream } }).log, lines }
}

const SETUPS: Array<{ label: string; skip(): Promise<string | undefined>; channel(t: Test, log: FastifyBaseLogger): Promise<{ channel: WakeChannel; proxy: TcpProxy }> }> = [
  {
    label: 'PostgreSQL',
    skip: async () => (await needsServer('postgresql')).skip,
    async channel(t, log) {
      const url = new URL(await createEmptyPostgres(t))
      const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) })
      t.teardown(() => proxy.close())
      url.port = String(proxy.port)
      return { channel: new PostgresWakeChannel(url.href, uniqueChannel(), LIVENESS, log), proxy }
    },
  },
  {
    label: 'Redis',
    skip: redisServerSkip,
    async channel(t, log) {
      const port = await freePort()
      await startRedis(port, t)
      const proxy = await startTcpProxy({ host: '127.0.0.1', port })
      t.teardown(() => proxy.close())
      return { channel: new RedisWakeChannel(`redis://127.0.0.1:${proxy.port}`, uniqueChannel(), LIVENESS, log), proxy }
    },
  },
]

for (const setup of SETUPS) {
  t.test(`${setup.label}: ${ANNOUNCED} announcements behind a stalled socket stay at the cap`, { skip: await setup.skip() }, async (t) => {
    const { log, lines } = capturingLog()
    const { channel, proxy } = await setup.channel(t, log)
    await channel.start({ message: () => {}, resync: () => {} })
    t.teardown(() => channel.close())

    channel.publish('before the stall')
    await until(() => channel.stats().sent === 1)
    proxy.stall()
    // The first goes on the wire and never comes back; the rest wait.
    for (let i = 0; i < ANNOUNCED; i++) channel.publish(`instance\norder-${i}`)
    const stats = channel.stats()
    t.equal(stats.pending, LIVENESS.maxPending, 'what waits is at the cap')
    t.equal(stats.inFlight, 1, 'one batch on the wire')
    t.equal(stats.dropped, ANNOUNCED - LIVENESS.maxPending - 1, 'the rest were dropped and counted')
    t.equal(lines.filter((line) => line.msg.includes('oldest dropped')).length, 1, 'one warning for the episode, not one per message')

    await closesInTime(channel.close(), `${setup.label} channel close() with its socket stalled`)
    t.equal(channel.stats().state, 'closed')
  })
}
