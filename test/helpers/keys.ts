// Real RSA-2048 key pairs in every encoding the plugin accepts: the one key helper of the tests,
// the benchmarks and the demo.
//
// Generating one takes 0.1 to 0.5 core-s, and most test processes need two or three, so the
// pairs are generated once and kept (test-cache.ts): the n-th pair a process asks for is the n-th
// of the kept ones. The pairs of one process are distinct; two processes get the same ones.
import { createPrivateKey, createPublicKey, generateKeyPair, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import { readCached, writeCached } from './test-cache.js'

export interface KeyPair {
  privateKey: KeyObject
  publicKey: KeyObject
  privatePem: string
  publicPem: string
  /** Bare Base64 PKCS#8 / X.509 DER, as the official Alipay+ SDKs take them. */
  privateBase64: string
  publicBase64: string
}

function encoded(privateKey: KeyObject, publicKey: KeyObject): KeyPair {
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateBase64: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
    publicBase64: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  }
}

let pairsGiven = 0

/** A key pair this process has not been given before. */
export function rsaKeyPair(): KeyPair {
  const name = `rsa-2048-${pairsGiven++}.pem`
  const kept = readCached(name)
  if (kept !== undefined) {
    const privateKey = createPrivateKey(kept)
    return encoded(privateKey, createPublicKey(privateKey))
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  writeCached(name, privateKey.export({ type: 'pkcs8', format: 'pem' }))
  return encoded(privateKey, publicKey)
}

const generate = promisify(generateKeyPair)

/** A newly generated pair, on libuv's thread pool: several at once do not block the event loop. */
export async function rsaKeyPairOffThread(): Promise<KeyPair> {
  const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048 })
  return encoded(privateKey, publicKey)
}
