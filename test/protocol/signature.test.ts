import { constants, sign, verify } from 'node:crypto'
import t from 'tap'
import {
  contentToSign,
  formatSignatureHeader,
  parseSignatureHeader,
  signContent,
  signMessage,
  verifyContent,
  verifyMessage,
} from '../../src/protocol/signature.js'
import { rsaKeyPair } from '../helpers/keys.js'

const alipay = rsaKeyPair()
const other = rsaKeyPair()

const PATH = '/aps/api/v1/payments/inquiryPayment'
const CLIENT_ID = 'SANDBOX_5X00000000000000'
const TIME = '2019-04-04T12:08:56+05:30'
const BODY = '{"paymentRequestId":"pay_20190404_0001"}'

// Reverses the protocol's encoding by hand: URL-decode, then Base64-decode.
function decodeByHand(encoded: string): Buffer {
  return Buffer.from(decodeURIComponent(encoded), 'base64')
}

t.test('content to sign is "POST <path>\\n<Client-Id>.<time>.<raw body>"', async (t) => {
  const content = contentToSign(PATH, CLIENT_ID, TIME, BODY)
  t.equal(
    content.toString('utf8'),
    'POST /aps/api/v1/payments/inquiryPayment\nSANDBOX_5X00000000000000.2019-04-04T12:08:56+05:30.{"paymentRequestId":"pay_20190404_0001"}',
  )
  // Epoch milliseconds are just as opaque.
  t.equal(contentToSign('/notify', 'C1', '1685599933871', '{}').toString('utf8'), 'POST /notify\nC1.1685599933871.{}')
})

t.test('a Buffer body is used byte for byte, never re-encoded', async (t) => {
  const body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) // {"a":"<invalid UTF-8>"}
  const content = contentToSign('/n', 'C', 'T', body)
  t.same(content.subarray(content.length - body.length), body)
  t.equal(content.length, Buffer.byteLength('POST /n\nC.T.') + body.length)
  // A multi-byte string body is encoded as UTF-8, the bytes that travel.
  t.same(contentToSign('/n', 'C', 'T', '{"name":"café"}'), Buffer.from('POST /n\nC.T.{"name":"café"}', 'utf8'))
})

t.test('signContent is RSA-SHA256 PKCS#1 v1.5, Base64, URL-encoded', async (t) => {
  const content = contentToSign(PATH, CLIENT_ID, TIME, BODY)
  const encoded = await signContent(content, alipay.privateKey)
  t.ok(verify('sha256', content, { key: alipay.publicKey, padding: constants.RSA_PKCS1_PADDING }, decodeByHand(encoded)))
  // PKCS#1 v1.5 is deterministic: the same bytes as a plain crypto.sign, encoded by hand.
  const expected = sign('sha256', content, alipay.privateKey)
    .toString('base64')
    .replaceAll('+', '%2B')
    .replaceAll('/', '%2F')
    .replaceAll('=', '%3D')
  t.equal(encoded, expected)
  t.notOk(verify('sha256', Buffer.concat([content, Buffer.from(' ')]), alipay.publicKey, decodeByHand(encoded)))
})

t.test('"+", "/" and "=" appear URL-encoded', async (t) => {
  // Find a body whose signature has all three characters in its Base64 form (2048-bit
  // signatures always end in "=="; "+" and "/" show up in nearly every one).
  let found = false
  for (let i = 0; i < 50 && !found; i++) {
    const content = contentToSign(PATH, CLIENT_ID, TIME, `{"paymentRequestId":"p${i}"}`)
    const base64 = sign('sha256', content, alipay.privateKey).toString('base64')
    if (!base64.includes('+') || !base64.includes('/')) continue
    found = true
    const encoded = await signContent(content, alipay.privateKey)
    t.match(encoded, /%2B/)
    t.match(encoded, /%2F/)
    t.match(encoded, /%3D%3D$/)
    t.notMatch(encoded, /[+/=]/)
  }
  t.ok(found, 'a signature with + and / was found')
})

t.test('verifyContent accepts a signature made with plain crypto.sign', async (t) => {
  const content = contentToSign(PATH, CLIENT_ID, TIME, BODY)
  const base64 = sign('sha256', content, alipay.privateKey).toString('base64')
  t.equal(await verifyContent(content, encodeURIComponent(base64), [alipay.publicKey]), true)
  t.equal(await verifyContent(content, base64, [alipay.publicKey]), true, 'an already URL-decoded value is tolerated')
  t.equal(await verifyContent(content, base64, [other.publicKey, alipay.publicKey]), true, 'any key of a rotation verifies')
  t.equal(await verifyContent(content, base64, [other.publicKey]), false, 'the wrong key does not')
})

t.test('verifyContent refuses a one-byte change and garbage, without throwing', async (t) => {
  const content = contentToSign(PATH, CLIENT_ID, TIME, BODY)
  const encoded = await signContent(content, alipay.privateKey)
  const changed = Buffer.from(content)
  changed.writeUInt8(changed.readUInt8(changed.length - 3) ^ 0x01, changed.length - 3)
  t.equal(await verifyContent(changed, encoded, [alipay.publicKey]), false)
  for (const garbage of ['', 'not base64!', '%E0%A4%A', 'AAAA', '%%%', 'A'.repeat(343) + '=']) {
    t.equal(await verifyContent(content, garbage, [alipay.publicKey]), false, JSON.stringify(garbage.slice(0, 12)))
  }
  t.equal(await verifyContent(content, encoded, []), false, 'no key, no trust')
})

t.test('signature header format and tolerant parse', async (t) => {
  t.equal(formatSignatureHeader({ signature: 'ab%2Bc%3D', keyVersion: '1' }), 'algorithm=RSA256,keyVersion=1,signature=ab%2Bc%3D')
  t.same(parseSignatureHeader('algorithm=RSA256,keyVersion=1,signature=ab%2Bc%3D'), {
    algorithm: 'RSA256',
    keyVersion: '1',
    signature: 'ab%2Bc%3D',
  })
  t.same(parseSignatureHeader('Signature=abc==, KeyVersion=2 ,ALGORITHM=RSA256'), {
    algorithm: 'RSA256',
    keyVersion: '2',
    signature: 'abc==',
  })
  t.same(parseSignatureHeader('signature=xyz'), { signature: 'xyz' })
  t.equal(parseSignatureHeader(undefined), null)
  t.equal(parseSignatureHeader(''), null)
  t.equal(parseSignatureHeader('algorithm=RSA256,keyVersion=1'), null)
  t.equal(parseSignatureHeader('algorithm=RSA256,keyVersion=1,signature='), null)
})

t.test('signMessage produces the protocol headers, verifiable by hand', async (t) => {
  const headers = await signMessage({
    path: PATH,
    clientId: CLIENT_ID,
    time: TIME,
    body: BODY,
    privateKey: alipay.privateKey,
    keyVersion: '1',
    timeHeader: 'Request-Time',
  })
  t.same(Object.keys(headers).sort(), ['client-id', 'content-type', 'request-time', 'signature'])
  t.equal(headers['client-id'], CLIENT_ID)
  t.equal(headers['request-time'], TIME)
  t.equal(headers['content-type'], 'application/json; charset=UTF-8')
  const match = /^algorithm=RSA256,keyVersion=1,signature=([^,]+)$/.exec(headers.signature ?? '')
  t.ok(match, 'Signature header has the literal format')
  const content = Buffer.from(`POST ${PATH}\n${CLIENT_ID}.${TIME}.${BODY}`, 'utf8')
  t.ok(verify('sha256', content, alipay.publicKey, decodeByHand(match![1]!)))

  const response = await signMessage({
    path: PATH,
    clientId: CLIENT_ID,
    time: TIME,
    body: BODY,
    privateKey: alipay.privateKey,
    keyVersion: '3',
    timeHeader: 'Response-Time',
  })
  t.equal(response['response-time'], TIME)
  t.notOk('request-time' in response)
  t.match(response.signature, /^algorithm=RSA256,keyVersion=3,signature=/)
})

t.test('verifyMessage checks headers and the exact body', async (t) => {
  const headers = await signMessage({
    path: '/alipay/notify?shop=1',
    clientId: CLIENT_ID,
    time: TIME,
    body: BODY,
    privateKey: alipay.privateKey,
    keyVersion: '1',
    timeHeader: 'Request-Time',
  })
  const input = { path: '/alipay/notify?shop=1', headers, body: BODY, publicKeys: [alipay.publicKey], timeHeader: 'Request-Time' as const }
  t.same(await verifyMessage(input), { ok: true, clientId: CLIENT_ID, time: TIME })
  t.same(await verifyMessage({ ...input, body: Buffer.from(BODY) }), { ok: true, clientId: CLIENT_ID, time: TIME })
  t.same(await verifyMessage({ ...input, headers: new Headers(headers) }), { ok: true, clientId: CLIENT_ID, time: TIME }, 'fetch Headers')

  // The same JSON, re-serialised with a space, is a different message.
  t.same(await verifyMessage({ ...input, body: BODY.replace(':', ': ') }), { ok: false, reason: 'bad_signature' })
  t.same(await verifyMessage({ ...input, path: '/alipay/notify' }), { ok: false, reason: 'bad_signature' })
  t.same(await verifyMessage({ ...input, headers: { ...headers, 'client-id': 'OTHER' } }), { ok: false, reason: 'bad_signature' })
  t.same(await verifyMessage({ ...input, publicKeys: [other.publicKey] }), { ok: false, reason: 'bad_signature' })
  t.same(await verifyMessage({ ...input, timeHeader: 'Response-Time' }), { ok: false, reason: 'missing_time' })

  const without = (name: string) => Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name))
  t.same(await verifyMessage({ ...input, headers: without('signature') }), { ok: false, reason: 'missing_signature' })
  t.same(await verifyMessage({ ...input, headers: without('client-id') }), { ok: false, reason: 'missing_client_id' })
  t.same(await verifyMessage({ ...input, headers: without('request-time') }), { ok: false, reason: 'missing_time' })
  t.same(await verifyMessage({ ...input, headers: { ...headers, signature: 'algorithm=RSA256' } }), { ok: false, reason: 'missing_signature' })
})
