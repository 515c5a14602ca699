// The setup of the benchmarks that notify a merchant app in a child process (wakeup, delivery):
// fresh keys, a throw-away PostgreSQL database, the Alipay+ simulator in this process (the
// app's gateway), and the app started in its child; each part cleaned up through `defer`.
import { createSimulator, type AlipayPlusSimulator } from '../../src/simulator/index.js'
import { BenchChild } from './child.js'
import { type BenchDatabase, createBenchDatabase } from './database.js'
import { type BenchKeys, generateBenchKeys, merchantPems } from './keys.js'
import { CLIENT_ID } from './notify-requests.js'

export interface ChildMerchant {
  keys: BenchKeys
  db: BenchDatabase
  sim: AlipayPlusSimulator
  child: BenchChild
  notifyUrl: string
}

/** `script` (relative to bench/) answers "start" with the app's notify URL. */
export async function startChildMerchant(script: string, label: string, defer: (cleanup: () => unknown) => void): Promise<ChildMerchant> {
  const keys = await generateBenchKeys()
  const db = await createBenchDatabase()
  defer(() => db.drop())
  const sim = createSimulator({ clientId: CLIENT_ID, merchantPublicKey: keys.merchant.publicPem, alipayPrivateKey: keys.alipay.privatePem })
  const simUrl = await sim.listen()
  defer(() => sim.close())
  const child = await BenchChild.start(script, label)
  defer(() => child.stop())
  const { notifyUrl } = await child.call<{ notifyUrl: string }>('start', { databaseUrl: db.url, gatewayUrl: simUrl, ...merchantPems(keys) })
  return { keys, db, sim, child, notifyUrl }
}
