// The benchmarks' two key pairs, the merchant's and "Alipay+"'s (test/helpers/keys.ts makes
// them), passed to child processes as PEM.
import { type KeyPair, rsaKeyPairOffThread } from '../../test/helpers/keys.js'

export interface BenchKeys {
  merchant: KeyPair
  alipay: KeyPair
}

export async function generateBenchKeys(): Promise<BenchKeys> {
  const [merchant, alipay] = await Promise.all([rsaKeyPairOffThread(), rsaKeyPairOffThread()])
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
