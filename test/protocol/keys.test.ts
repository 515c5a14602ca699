import { generateKeyPairSync, sign } from 'node:crypto'
import t from 'tap'
import { InvalidOptionError } from '../../src/errors.js'
import { loadPrivateKey, loadPublicKeys } from '../../src/protocol/keys.js'
import { verifyContent } from '../../src/protocol/signature.js'
import { rsaKeyPair } from '../helpers/keys.js'

const pair = rsaKeyPair()
const rotated = rsaKeyPair()

const pkcs8Pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
const pkcs1Pem = pair.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string
const pkcs8Base64 = (pair.privateKey.export({ type: 'pkcs8', format: 'der' }) as Buffer).toString('base64')
// The Python and PHP SDKs' form: bare Base64 of the PKCS#1 RSAPrivateKey.
const pkcs1Base64 = (pair.privateKey.export({ type: 'pkcs1', format: 'der' }) as Buffer).toString('base64')
const spkiPem = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string
const spkiBase64 = (pair.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).toString('base64')

const content = Buffer.from('POST /notify\nC.T.{}')
const signedByPair = encodeURIComponent(sign('sha256', content, pair.privateKey).toString('base64'))

// Every 8-character window of the input: none may show up in an error message.
function leaks(message: string, input: string): boolean {
  const compact = input.replace(/-----[A-Z ]+-----|\s+/g, '')
  for (let i = 0; i + 8 <= compact.length; i++) if (message.includes(compact.slice(i, i + 8))) return true
  return false
}

type Asserts = Pick<typeof t, 'ok' | 'notOk' | 'equal' | 'fail'>

function expectOptionError(t: Asserts, fn: () => unknown, option: string, input: string) {
  try {
    fn()
    t.fail('expected InvalidOptionError')
  } catch (error) {
    t.ok(error instanceof InvalidOptionError, 'InvalidOptionError')
    const { message, code, cause } = error as Error & { code: string }
    t.equal(code, 'FST_ALIPAYPLUS_INVALID_OPTION')
    t.ok(message.includes(`"${option}"`), `names the option: ${message}`)
    t.notOk(leaks(message, input), 'does not quote the key')
    t.equal(cause, undefined, 'does not chain the crypto error')
  }
}

t.test('private key: PEM (PKCS#8, PKCS#1), bare Base64 PKCS#8 and PKCS#1, KeyObject', async (t) => {
  const wrapped = pkcs8Base64.replace(/(.{64})/g, '$1\n') + '\n'
  for (const [label, input] of [
    ['PKCS#8 PEM', pkcs8Pem],
    ['PKCS#1 PEM', pkcs1Pem],
    ['bare Base64', pkcs8Base64],
    ['Base64 with newlines', wrapped],
    ['bare Base64 PKCS#1', pkcs1Base64],
    ['Base64 PKCS#1 with newlines', pkcs1Base64.replace(/(.{64})/g, '$1\n')],
    ['KeyObject', pair.privateKey],
  ] as const) {
    const key = loadPrivateKey(input, 'privateKey')
    t.equal(key.type, 'private', label)
    const signature = encodeURIComponent(sign('sha256', content, key).toString('base64'))
    t.equal(signature, signedByPair, `${label} is the same key`)
  }
})

t.test('public keys: PEM, bare Base64 SPKI, KeyObject, and a rotation list', async (t) => {
  for (const input of [spkiPem, spkiBase64, pair.publicKey, pair.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string]) {
    const keys = loadPublicKeys(input, 'alipayPublicKey')
    t.equal(keys.length, 1)
    t.equal(await verifyContent(content, signedByPair, keys), true)
  }
  const rotation = loadPublicKeys([rotated.publicKey.export({ type: 'spki', format: 'pem' }) as string, spkiBase64], 'alipayPublicKey')
  t.equal(rotation.length, 2)
  t.equal(await verifyContent(content, signedByPair, rotation), true, 'the second key of the rotation verifies')
  const byRotated = encodeURIComponent(sign('sha256', content, rotated.privateKey).toString('base64'))
  t.equal(await verifyContent(content, byRotated, rotation), true, 'so does the first')
  t.equal(await verifyContent(content, byRotated, loadPublicKeys(spkiPem, 'alipayPublicKey')), false)
})

t.test('malformed private keys are refused without quoting them', async (t) => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const truncatedPem = pkcs8Pem.slice(0, pkcs8Pem.length - 200) + '\n-----END PRIVATE KEY-----\n'
  const inputs: Array<[string, string | import('node:crypto').KeyObject]> = [
    ['garbage', 'not a key at all'],
    ['truncated PEM', truncatedPem],
    ['truncated Base64', pkcs8Base64.slice(0, 400)],
    ['truncated Base64 PKCS#1', pkcs1Base64.slice(0, 400)],
    ['public key PEM', spkiPem],
    ['public Base64', spkiBase64],
    ['EC key', ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string],
    ['public KeyObject', pair.publicKey],
    ['empty', ''],
  ]
  for (const [label, input] of inputs) {
    t.test(label, async (t) => expectOptionError(t, () => loadPrivateKey(input, 'privateKey'), 'privateKey', typeof input === 'string' ? input : ''))
  }
})

t.test('malformed public keys are refused without quoting them', async (t) => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const inputs: Array<[string, string]> = [
    ['garbage', 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA-broken'],
    ['truncated Base64', spkiBase64.slice(0, 200)],
    ['private key PEM', pkcs8Pem],
    ['private Base64', pkcs8Base64],
    ['EC key', ec.publicKey.export({ type: 'spki', format: 'pem' }) as string],
  ]
  for (const [label, input] of inputs) {
    t.test(label, async (t) => expectOptionError(t, () => loadPublicKeys(input, 'alipayPublicKey'), 'alipayPublicKey', input))
  }
  t.test('empty list', async (t) => expectOptionError(t, () => loadPublicKeys([], 'alipayPublicKey'), 'alipayPublicKey', ''))
  t.test('bad entry in a list is named by index', async (t) =>
    expectOptionError(t, () => loadPublicKeys([spkiPem, pkcs8Base64], 'alipayPublicKey'), 'alipayPublicKey[1]', pkcs8Base64),
  )
})
