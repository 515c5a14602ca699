// Loads the RSA keys used for Alipay+ message signatures. The official SDKs hand keys around
// as bare Base64 DER: the Java and Go SDKs a PKCS#8 private key, the Python and PHP SDKs a
// PKCS#1 one (they wrap it as "BEGIN RSA PRIVATE KEY"); the public key is X.509
// SubjectPublicKeyInfo. PEM is accepted too.
// Errors never quote the input and never chain the crypto error: a key, or a piece of one,
// must not end up in a log.
import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto'
import { InvalidOptionError } from '../errors.js'

const PRIVATE_KEY_PROBLEM = 'must be an RSA private key, as PEM or Base64 PKCS#8 / PKCS#1'
const PUBLIC_KEY_PROBLEM = 'must be an RSA public key (or a non-empty list of them), as PEM or Base64 X.509 SubjectPublicKeyInfo'

const PEM_ARMOUR = '-----BEGIN '
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

type KeyInput = string | KeyObject

/** Bare Base64 DER with any whitespace removed, or null when it is not Base64 at all. */
function base64Der(text: string): Buffer | null {
  const compact = text.replace(/\s+/g, '')
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) return null
  return Buffer.from(compact, 'base64')
}

function parsePrivateKey(value: KeyInput): KeyObject | null {
  if (value instanceof KeyObject) return value
  if (typeof value !== 'string') return null
  try {
    if (value.includes(PEM_ARMOUR)) return createPrivateKey({ key: value, format: 'pem' })
    const der = base64Der(value)
    return der === null ? null : privateKeyFromDer(der)
  } catch {
    return null
  }
}

// The DER does not say which of the two structures it is: PKCS#8 first (the Java SDK's form),
// then PKCS#1. Each attempt's error is dropped, so no piece of the key reaches a message.
function privateKeyFromDer(der: Buffer): KeyObject | null {
  for (const type of ['pkcs8', 'pkcs1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type })
    } catch {
      // try the next structure
    }
  }
  return null
}

function parsePublicKey(value: KeyInput): KeyObject | null {
  if (value instanceof KeyObject) return value
  if (typeof value !== 'string') return null
  // createPublicKey would happily derive a public key from a private PEM: refuse it, since a
  // private key in a public-key option is a misconfiguration (and a leak waiting to happen).
  if (value.includes('PRIVATE KEY')) return null
  try {
    if (value.includes(PEM_ARMOUR)) return createPublicKey({ key: value, format: 'pem' })
    const der = base64Der(value)
    return der === null ? null : createPublicKey({ key: der, format: 'der', type: 'spki' })
  } catch {
    return null
  }
}

// RSA256 is PKCS#1 v1.5: RSA-PSS keys cannot produce it.
function isRsa(key: KeyObject, type: 'private' | 'public'): boolean {
  return key.type === type && key.asymmetricKeyType === 'rsa'
}

export function loadPrivateKey(value: string | KeyObject, optionName: string): KeyObject {
  const key = parsePrivateKey(value)
  if (key === null || !isRsa(key, 'private')) throw new InvalidOptionError(optionName, PRIVATE_KEY_PROBLEM)
  return key
}

/** One key, or several while Alipay+ rotates its key: a signature is good if any verifies it. */
export function loadPublicKeys(value: KeyInput | KeyInput[], optionName: string): KeyObject[] {
  const values = Array.isArray(value) ? value : [value]
  if (values.length === 0) throw new InvalidOptionError(optionName, PUBLIC_KEY_PROBLEM)
  return values.map((item, index) => {
    const key = parsePublicKey(item)
    const name = Array.isArray(value) ? `${optionName}[${index}]` : optionName
    if (key === null || !isRsa(key, 'public')) throw new InvalidOptionError(name, PUBLIC_KEY_PROBLEM)
    return key
  })
}
