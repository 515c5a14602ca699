// npm run serve: the demo's two merchant instances (behind their round-robin front) and the
// Alipay+ simulator, kept running for curl.
// Data persists in PGLITE_DIR (default ./.data/pglite), or in PostgreSQL with DATABASE_URL.
import { startDemoWorld } from './world.js'

const merchantPort = Number(process.env.PORT ?? 3000)
const simulatorPort = Number(process.env.SIMULATOR_PORT ?? 4100)

const world = await startDemoWorld({
  merchantPort,
  simulatorPort,
  databaseUrl: process.env.DATABASE_URL || undefined,
  logger: true,
  // Each instance logs the results it hands to the application.
  handler: (instance) => (result, { idempotencyKey, attempt }) => {
    console.log(`onPaymentResult on ${instance}: ${result.orderNo} ${result.status} (key ${idempotencyKey}, attempt ${attempt})`)
  },
  // Quick enough to watch by hand; the plugin's defaults are minutes, as Alipay+ advises.
  plugin: {
    polling: { minTimeoutMs: 1_000, maxTimeoutMs: 5_000, factor: 2, randomize: false, maxRetryTimeMs: 120_000 },
    reconcile: { intervalMs: 10_000, minAgeMs: 30_000, batchSize: 100 },
  },
})

console.log(`
merchant app       ${world.merchantUrl}   (notifyPayment at ${world.merchantUrl}/alipayplus/notifyPayment)
                   a round-robin front over instances ${world.instances.map((i) => `${i.name} ${i.url}`).join(', ')}
Alipay+ simulator  ${world.simulatorUrl}   (control API under /_sim)
database           ${world.db.kind} ${world.db.location}
Ctrl-C to stop. The README has a curl session to follow.
`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void world.close().then(() => process.exit(0))
  })
}
