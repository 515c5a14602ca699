// An instance killed with SIGKILL while its onPaymentResult runs: after a restart the result
// is delivered, once, by the new instance (the killed run is the "at least" of at least once).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { needsServer } from '../helpers/databases.js'
import { FAST_DELIVERY, RunLog } from '../helpers/delivery.js'
import { CLIENT_ID } from '../helpers/merchant-app.js'
import { NOTIFY_PATH } from '../helpers/notify-request.js'
import { alipayKeys, buildWorld, merchantKeys, until } from '../helpers/world.js'
import { childEnv } from '../helpers/child-env.js'

t.test('SIGKILL while the handler runs, then a restart: delivered exactly once after it', await needsServer('postgresql'), async (t) => {
  // The world's own app has no handler and takes no notifications: only the child does.
  const world = await buildWorld(t, { listen: false })
  await world.order('killed-1')

  const fixture = fileURLToPath(new URL('./fixtures/delivery-app.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: {
      ...childEnv(),
      FIXTURE_CONFIG: JSON.stringify({
        databaseUrl: world.databaseUrl,
        gatewayUrl: world.simUrl,
        clientId: CLIENT_ID,
        privateKey: merchantKeys.privatePem,
        alipayPublicKey: alipayKeys.publicPem,
      }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = once(child, 'exit')
  t.teardown(() => void child.kill('SIGKILL'))
  const lines: string[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line)
    if (line.startsWith('LISTENING ')) world.sim.setNotifyUrl(`${line.slice('LISTENING '.length)}${NOTIFY_PATH}`)
  })
  await until(() => lines.some((line) => line.startsWith('LISTENING ')), 60_000)
  world.sim.completePayment('killed-1', { status: 'SUCCESS' })
  await until(() => lines.some((line) => line.startsWith('HANDLING ')), 30_000)

  const running = await world.store.getOrder('killed-1')
  t.same([running?.status, running?.deliveredAt, running?.deliveryAttempts], ['SUCCESS', null, 1], 'final, one run started')
  t.ok(running?.deliveryOwner, 'the child holds the delivery claim')
  child.kill('SIGKILL')
  const [code, signal] = await exited
  t.same([code, signal], [null, 'SIGKILL'], 'killed mid-run, no chance to clean up')

  const log = new RunLog()
  const restarted = await world.addApp({ onPaymentResult: log.handler('restarted'), delivery: FAST_DELIVERY })
  await until(async () => (await world.store.getOrder('killed-1'))?.deliveredAt != null, 30_000)
  for (let pass = 0; pass < 3; pass++) await restarted.alipayplus.sweepDeliveries()

  const killedRun = lines.filter((line) => line.startsWith('HANDLING ')).map((line) => line.split(' '))
  t.equal(killedRun.length, 1, 'the killed instance ran it once')
  t.same(log.of('killed-1').map((run) => run.attempt), [2], 'the restarted one ran it once, as attempt 2')
  t.equal(log.of('killed-1')[0]?.idempotencyKey, killedRun[0]?.[2], 'with the same idempotency key')
  const order = await world.store.getOrder('killed-1')
  t.same([order?.deliveryAttempts, order?.deliveryOwner], [2, null])
})
