// Real RSA-2048 key pairs in every encoding the plugin accepts: the one key helper of the tests,
// the benchmarks and the demo.
import { generateKeyPair, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'

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

export function rsaKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return encoded(privateKey, publicKey)
}

const generate = promisify(generateKeyPair)

/** The same, generated on libuv's thread pool: several at once do not block the event loop. */
export async function rsaKeyPairOffThread(): Promise<KeyPair> {
  const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048 })
  return encoded(privateKey, publicKey)
}
