// The Alipay+ message signature, both directions:
//   content  = "POST <path>\n<Client-Id>.<Request-Time|Response-Time>.<raw body>"
//   header   = "Signature: algorithm=RSA256,keyVersion=1,signature=<urlencode(base64(rsa-sha256))>"
// Content is built from the exact body bytes (JSON is never re-serialised), and the RSA work
// runs through the callback form of crypto.sign/verify, which uses libuv's thread pool.
import { type KeyObject, sign, verify } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

export type TimeHeader = 'Request-Time' | 'Response-Time'

export interface SignatureHeader {
  algorithm?: string
  keyVersion?: string
  signature: string
}

export const CONTENT_TYPE = 'application/json; charset=UTF-8'

/** ISO 8601 with an offset, as the Alipay+ examples show. Opaque to the verifier. */
export function nowRequestTime(): string {
  return new Date().toISOString()
}

export function contentToSign(path: string, clientId: string, time: string, body: string | Buffer): Buffer {
  const head = Buffer.from(`POST ${path}\n${clientId}.${time}.`, 'utf8')
  return Buffer.concat([head, typeof body === 'string' ? Buffer.from(body, 'utf8') : body])
}

/** RSA-SHA256 (PKCS#1 v1.5), standard Base64, then URL-encoded (+ / = become %2B %2F %3D). */
export function signContent(content: Buffer, key: KeyObject): Promise<string> {
  return new Promise((resolve, reject) => {
    sign('sha256', content, key, (error, signature) => {
      if (error) reject(error)
      else resolve(encodeURIComponent(signature.toString('base64')))
    })
  })
}

function verifyWith(content: Buffer, signature: Buffer, key: KeyObject): Promise<boolean> {
  return new Promise((resolve) => {
    verify('sha256', content, key, signature, (error, ok) => resolve(!error && ok))
  })
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

function decodeSignature(encoded: string): Buffer | null {
  let base64 = encoded.trim()
  // Base64 has no "%", so its presence means URL encoding; without it the value is taken
  // as already decoded (some proxies and SDKs decode header values).
  if (base64.includes('%')) {
    try {
      base64 = decodeURIComponent(base64)
    } catch {
      return null
    }
  }
  if (base64.length === 0 || base64.length % 4 !== 0 || !BASE64.test(base64)) return null
  return Buffer.from(base64, 'base64')
}

/** True when any of the keys (several during a rotation) verifies the signature. Never throws. */
export async function verifyContent(content: Buffer, encodedSignature: string, keys: KeyObject[]): Promise<boolean> {
  const signature = decodeSignature(encodedSignature)
  if (signature === null) return false
  for (const key of keys) {
    if (await verifyWith(content, signature, key)) return true
  }
  return false
}

export function formatSignatureHeader({ signature, keyVersion }: { signature: string; keyVersion: string }): string {
  return `algorithm=RSA256,keyVersion=${keyVersion},signature=${signature}`
}

/** Tolerant parse: any order, spaces around parts, case-insensitive names. Null without a signature. */
export function parseSignatureHeader(value: string | undefined): SignatureHeader | null {
  if (value === undefined) return null
  const fields = new Map<string, string>()
  for (const part of value.split(',')) {
    const equals = part.indexOf('=')
    if (equals === -1) continue
    // Split at the first "=" only: an un-encoded Base64 signature ends with "=" padding.
    fields.set(part.slice(0, equals).trim().toLowerCase(), part.slice(equals + 1).trim())
  }
  const signature = fields.get('signature')
  if (!signature) return null
  const header: SignatureHeader = { signature }
  const algorithm = fields.get('algorithm')
  const keyVersion = fields.get('keyversion')
  if (algorithm !== undefined) header.algorithm = algorithm
  if (keyVersion !== undefined) header.keyVersion = keyVersion
  return header
}

export interface SignMessageInput {
  /** Path (and query) of the request; for a response, the path of the request it answers. */
  path: string
  clientId: string
  time: string
  body: string | Buffer
  privateKey: KeyObject
  keyVersion: string
  timeHeader: TimeHeader
}

/** The headers of a signed Alipay+ message, lower-case names. */
export async function signMessage(input: SignMessageInput): Promise<Record<string, string>> {
  const content = contentToSign(input.path, input.clientId, input.time, input.body)
  const signature = await signContent(content, input.privateKey)
  return {
    'client-id': input.clientId,
    [input.timeHeader.toLowerCase()]: input.time,
    signature: formatSignatureHeader({ signature, keyVersion: input.keyVersion }),
    'content-type': CONTENT_TYPE,
  }
}

/** Node's IncomingHttpHeaders, a plain record with lower-case names, or fetch's Headers. */
export type HeaderSource = IncomingHttpHeaders | Record<string, string | string[] | undefined> | Headers

function readHeader(headers: HeaderSource, name: string): string | undefined {
  const value = typeof headers.get === 'function' ? (headers as Headers).get(name) : (headers as IncomingHttpHeaders)[name]
  const first = Array.isArray(value) ? value[0] : value
  return first === null || first === undefined || first === '' ? undefined : first
}

export interface VerifyMessageInput {
  path: string
  headers: HeaderSource
  body: string | Buffer
  publicKeys: KeyObject[]
  timeHeader: TimeHeader
  /**
   * Client-Id to put in the signed content when the message carries none. For a response only:
   * it was signed over the Client-Id of the request (ours), which the Java SDK assumes too.
   */
  fallbackClientId?: string
}

export type VerifyFailure = 'missing_signature' | 'missing_client_id' | 'missing_time' | 'bad_signature'

export type VerifyMessageResult = { ok: true; clientId: string; time: string } | { ok: false; reason: VerifyFailure }

export async function verifyMessage(input: VerifyMessageInput): Promise<VerifyMessageResult> {
  const header = parseSignatureHeader(readHeader(input.headers, 'signature'))
  if (header === null) return { ok: false, reason: 'missing_signature' }
  const clientId = readHeader(input.headers, 'client-id') ?? input.fallbackClientId
  if (clientId === undefined) return { ok: false, reason: 'missing_client_id' }
  const time = readHeader(input.headers, input.timeHeader.toLowerCase())
  if (time === undefined) return { ok: false, reason: 'missing_time' }
  const content = contentToSign(input.path, clientId, time, input.body)
  const ok = await verifyContent(content, header.signature, input.publicKeys)
  return ok ? { ok: true, clientId, time } : { ok: false, reason: 'bad_signature' }
}
