// Forged wake-up messages (anyone who can NOTIFY in the database or PUBLISH on Redis and knows
// an awaited orderNo) cost a bounded number of database lookups: what arrives while a lookup
// runs joins the next, and lookups are at least LOOKUP_INTERVAL_MS apart. They stay hints: the
// waiter is woken only by the result in the database.
import { Redis } from 'ioredis'
import pg from 'pg'
import t from 'tap'
import { LOOKUP_INTERVAL_MS } from '../../src/wakeup/waiter-wakeup.js'
import { backendNamed, needsServer, REDIS_URL } from '../helpers/databases.js'
import { buildInstances, uniqueChannel, withinPatience } from '../helpers/wakeup.js'
import { until } from '../helpers/world.js'

t.setTimeout(300_000)

const FORGED = 1_000

interface Forger {
  send(text: string): Promise<unknown>
  close(): Promise<unknown>
}

const SETUPS = [
  {
    label: 'PostgreSQL NOTIFY',
    backend: backendNamed('postgresql'),
    skip: async () => (await needsServer('postgresql')).skip,
    wakeup: (url: string | undefined, channel: string) => ({ postgres: url!, channel }),
    async forger(url: string | undefined, channel: string): Promise<Forger> {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      return { send: (text) => client.query('SELECT pg_notify($1, $2)', [channel, text]), close: () => client.end() }
    },
  },
  {
    label: 'Redis PUBLISH',
    backend: backendNamed('mysql'),
    skip: async () => (await needsServer('mysql')).skip ?? (await needsServer('redis')).skip,
    wakeup: (_url: string | undefined, channel: string) => ({ redis: REDIS_URL, channel }),
    async forger(_url: string | undefined, channel: string): Promise<Forger> {
      const client = new Redis(REDIS_URL)
      return { send: (text) => client.publish(channel, text), close: () => client.quit() }
    },
  },
]

for (const setup of SETUPS) {
  t.test(`${setup.label}: ${FORGED} forged messages cost a bounded number of lookups and wake nobody`, { skip: await setup.skip() }, async (t) => {
    const channel = uniqueChannel()
    const { world, instances } = await buildInstances(t, 2, setup.backend, (url) => setup.wakeup(url, channel))
    const [a] = instances
    const stats = () => a!.alipayplus.wakeupStats()!
    await world.order('forged-1')
    const waiting = a!.awaitPaymentResult('forged-1')
    let woken = false
    void waiting.then(() => (woken = true))
    await until(() => a!.alipayplus.stats().inquiries === 1)

    const forger = await setup.forger(world.databaseUrl, channel)
    t.teardown(() => forger.close())
    const before = stats()
    const start = performance.now()
    // One message per round trip: each arrives on its own, as a steady flood does.
    for (let i = 0; i < FORGED; i++) await forger.send(`forger-${i}\nforged-1`)
    await until(() => stats().messages - before.messages === FORGED)
    const elapsed = performance.now() - start
    const lookups = stats().lookups - before.lookups

    t.ok(lookups >= 1, `the messages were looked into (${lookups} lookups)`)
    // At most one lookup per interval, plus the first one at once.
    t.ok(lookups <= Math.ceil(elapsed / LOOKUP_INTERVAL_MS) + 1, `${lookups} lookups for ${FORGED} messages in ${Math.round(elapsed)} ms`)
    t.equal((await world.store.getOrder('forged-1'))?.status, 'init', 'the order is still pending')
    t.notOk(woken, 'no waiter was woken by a message alone')

    world.sim.completePayment('forged-1', { status: 'SUCCESS', notify: true })
    t.match(await withinPatience(waiting, 'the waiter on A, by the real result'), { status: 'SUCCESS', source: 'notify' })
  })
}
