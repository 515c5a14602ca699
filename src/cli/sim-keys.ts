// The simulator's key pairs, kept in a folder so that the app's settings stay valid from one
// `simulate` run to the next: the merchant's pair (the app signs with its private key, the
// simulator verifies) and the simulated Alipay+'s pair (the simulator signs, the app verifies).
// Generated on first use; test keys for a local simulator, never production keys.
import { generateKeyPairSync } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'

export interface SimulatorKeys {
  dir: string
  files: { merchantPrivate: string; merchantPublic: string; alipayPrivate: string; alipayPublic: string }
  merchantPublicKey: string
  alipayPrivateKey: string
  /** true when this call made them. */
  generated: boolean
}

const FILES = {
  merchantPrivate: 'merchant-private.pem',
  merchantPublic: 'merchant-public.pem',
  alipayPrivate: 'alipay-private.pem',
  alipayPublic: 'alipay-public.pem',
} as const

function rsaPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
}

export async function loadOrCreateSimulatorKeys(folder: string): Promise<SimulatorKeys> {
  const dir = resolve(folder)
  const files = Object.fromEntries(Object.entries(FILES).map(([key, name]) => [key, join(dir, name)])) as SimulatorKeys['files']
  const read = (path: string) => readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error)))
  const [merchantPublicKey, alipayPrivateKey] = await Promise.all([read(files.merchantPublic), read(files.alipayPrivate)])
  if (merchantPublicKey !== null && alipayPrivateKey !== null) {
    return { dir, files, merchantPublicKey, alipayPrivateKey, generated: false }
  }
  const merchant = rsaPair()
  const alipay = rsaPair()
  await mkdir(dir, { recursive: true })
  // Private keys readable by their owner only.
  await writeFile(files.merchantPrivate, merchant.privateKey, { mode: 0o600 })
  await writeFile(files.merchantPublic, merchant.publicKey)
  await writeFile(files.alipayPrivate, alipay.privateKey, { mode: 0o600 })
  await writeFile(files.alipayPublic, alipay.publicKey)
  return { dir, files, merchantPublicKey: merchant.publicKey, alipayPrivateKey: alipay.privateKey, generated: true }
}
