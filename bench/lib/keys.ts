// Fresh RSA-2048 key pairs for the merchant and for "Alipay+", generated at start (off the
// main thread), passed to child processes as PEM.
import { generateKeyPair, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'

const generate = promisify(generateKeyPair)

export interface BenchKeyPair {
  privateKey: KeyObject
  publicKey: KeyObject
  privatePem: string
  publicPem: string
}

export interface BenchKeys {
  merchant: BenchKeyPair
  alipay: BenchKeyPair
}

async function rsa2048(): Promise<BenchKeyPair> {
  const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048 })
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}

export async function generateBenchKeys(): Promise<BenchKeys> {
  const [merchant, alipay] = await Promise.all([rsa2048(), rsa2048()])
  return { merchant, alipay }
}

/** What a child process needs to play the merchant: its private key and Alipay+'s public key. */
export interface MerchantKeyPems {
  merchantPrivatePem: string
  alipayPublicPem: string
}

export function merchantPems(keys: BenchKeys): MerchantKeyPems {
  return { merchantPrivatePem: keys.merchant.privatePem, alipayPublicPem: keys.alipay.publicPem }
}
