// The setup of the benchmarks that notify merchant apps in child processes (wakeup, instances,
// delivery): fresh keys, a throw-away PostgreSQL database, the Alipay+ simulator in this
// process (the apps' gateway), and the apps started in their children; each part cleaned up
// through `defer`.
import { createSimulator, type AlipayPlusSimulator } from '../../src/simulator/index.js'
import { BenchChild } from './child.js'
import { type BenchDatabase, createBenchDatabase } from './database.js'
import { type BenchKeys, generateBenchKeys, merchantPems } from './keys.js'
import { CLIENT_ID } from './notify-requests.js'

type Defer = (cleanup: () => unknown) => void

export interface BenchWorld {
  keys: BenchKeys
  db: BenchDatabase
  sim: AlipayPlusSimulator
  simUrl: string
}

export interface ChildMerchant extends BenchWorld {
  child: BenchChild
  notifyUrl: string
}

export async function startBenchWorld(defer: Defer): Promise<BenchWorld> {
  const keys = await generateBenchKeys()
  const db = await createBenchDatabase()
  defer(() => db.drop())
  const sim = createSimulator({ clientId: CLIENT_ID, merchantPublicKey: keys.merchant.publicPem, alipayPrivateKey: keys.alipay.privatePem })
  const simUrl = await sim.listen()
  defer(() => sim.close())
  return { keys, db, sim, simUrl }
}

/**
 * Starts `script` (relative to bench/), which answers "start" with the app's notify URL, as a
 * merchant app of `world` (with `options` on top); stopped through `defer`.
 */
export async function startMerchantChild(
  world: BenchWorld,
  script: string,
  label: string,
  defer: Defer,
  options: Record<string, unknown> = {},
): Promise<{ child: BenchChild; notifyUrl: string }> {
  const child = await BenchChild.start(script, label)
  defer(() => child.stop())
  const { notifyUrl } = await child.call<{ notifyUrl: string }>('start', {
    databaseUrl: world.db.url,
    gatewayUrl: world.simUrl,
    ...merchantPems(world.keys),
    ...options,
  })
  return { child, notifyUrl }
}

/** One world with one merchant app in a child. */
export async function startChildMerchant(script: string, label: string, defer: Defer): Promise<ChildMerchant> {
  const world = await startBenchWorld(defer)
  return { ...world, ...(await startMerchantChild(world, script, label, defer)) }
}
