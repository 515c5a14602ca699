// 2,400 malformed or mutated notifyPayment requests over real HTTP (bodies, headers,
// signatures, encodings, sizes). Unsigned or ill-signed input writes nothing; nothing gets a
// 5xx; each signed request writes at most its own audit event; the server answers afterwards.
import http from 'node:http'
import t from 'tap'
import { needsServer } from '../helpers/databases.js'
import { audit } from '../helpers/audit.js'
import { seededRandom } from '../../src/simulator/index.js'
import { CLIENT_ID } from '../helpers/merchant-app.js'
import { notifyBody, NOTIFY_PATH, signedNotify } from '../helpers/notify-request.js'
import { rsaKeyPair } from '../helpers/keys.js'
import { alipayKeys, buildWorld } from '../helpers/world.js'

// These run on PostgreSQL: skipped, saying why, where no server can be reached.
const PG = await needsServer('postgresql')

// Seeded, so a failure can be replayed with FUZZ_SEED.
const rand = seededRandom(Number(process.env.FUZZ_SEED ?? 20261126))
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!

interface Sent {
  status: number
  body: string
}

function send(port: number, headers: Record<string, string>, body: Buffer, agent: http.Agent): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: NOTIFY_PATH, headers: { ...headers, 'content-length': String(body.length) }, agent },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }))
      },
    )
    request.on('error', reject)
    request.end(body)
  })
}

const stranger = rsaKeyPair()
const JUNK_VALUES = ['', ' ', 'null', '0', '-1', 'x'.repeat(300), '\u0000', '🙂', '%00', '../../etc', '{"a":1}']
// Header values an HTTP client can send at all (no control characters, Latin-1 only).
const HEADER_JUNK = ['', ' ', 'null', '0', '-1', 'x'.repeat(300), '%00', '%%%', 'signature=', '../../etc', 'algorithm=RSA256,,,']

t.test('notify fuzz', PG, async (t) => {
  const world = await buildWorld(t, { listen: false })
  const port = Number(new URL(await world.app.listen({ port: 0, host: '127.0.0.1' })).port)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 })
  t.teardown(() => agent.destroy())
  const orderNos = Array.from({ length: 20 }, (_, i) => `fz-${i}`)
  for (const orderNo of orderNos) await world.store.createOrder({ orderNo, amount: { currency: 'USD', value: '100' } })
  const templates = await Promise.all(orderNos.map((orderNo) => signedNotify(alipayKeys.privateKey, notifyBody(orderNo))))

  // Unsigned or ill-signed: each mutation breaks the signature or its inputs.
  const illSigned: Array<() => Promise<[Record<string, string>, Buffer]>> = [
    async () => {
      const { headers, payload } = pick(templates)
      const body = Buffer.from(payload)
      const at = Math.floor(rand() * body.length)
      body.writeUInt8(body.readUInt8(at) ^ (1 + Math.floor(rand() * 255)), at)
      return [headers, body]
    },
    async () => {
      const { headers, payload } = pick(templates)
      const without = { ...headers }
      delete without[pick(['signature', 'client-id', 'request-time'])]
      return [without, Buffer.from(payload)]
    },
    async () => {
      const { headers, payload } = pick(templates)
      return [{ ...headers, [pick(['client-id', 'request-time'])]: `${pick(HEADER_JUNK)}x` }, Buffer.from(payload)]
    },
    async () => {
      const { headers, payload } = pick(templates)
      const signature = headers.signature!
      const cut = signature.slice(0, Math.floor(rand() * signature.length))
      return [{ ...headers, signature: pick([cut, `${signature}AA`, signature.replace('signature=', 'signature=A'), pick(HEADER_JUNK)]) }, Buffer.from(payload)]
    },
    async () => {
      const request = await signedNotify(stranger.privateKey, notifyBody(pick(orderNos)))
      return [request.headers, Buffer.from(request.payload)]
    },
    async () => {
      const { headers } = pick(templates)
      return [headers, Buffer.from(pick(templates).payload.replace(/"100"/, '"999"'))]
    },
    async () => [{ 'content-type': pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded']) }, Buffer.from(JSON.stringify(notifyBody(pick(orderNos))))],
    async () => {
      const { headers } = pick(templates)
      const sizes = [0, 1, 1_000, 65_537, 200_000]
      const bytes = Buffer.alloc(pick(sizes))
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256)
      return [headers, bytes]
    },
    async () => {
      const { headers } = pick(templates)
      const depth = 10_000
      return [headers, Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`)]
    },
  ]

  const counts = { illSigned: 0, signed: 0 }
  const statuses = new Map<number, number>()
  for (let i = 0; i < 1_600; i++) {
    const [headers, body] = await pick(illSigned)()
    const answer = await send(port, headers, body, agent)
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
    if (![400, 401, 413].includes(answer.status)) t.fail(`ill-signed request answered ${answer.status}: ${answer.body}`)
    counts.illSigned++
  }
  t.equal(await world.prisma.paymentEvent.count(), 0, 'no event from unsigned or ill-signed input')
  t.equal(await world.prisma.paymentOrder.count({ where: { status: { not: 'init' } } }), 0, 'no order changed')

  // Signed by Alipay+'s key, but malformed: mutated JSON, wrong types, odd encodings.
  const mutateValue = (): unknown => pick([null, 0, -1, 1e308, true, [], {}, '', 'S', 'F', 'U', '100', '1.00', pick(JUNK_VALUES)])
  const signedBodies: Array<() => string> = [
    () => {
      const body = notifyBody(pick(orderNos)) as Record<string, unknown>
      const key = pick(Object.keys(body))
      if (rand() < 0.5) delete body[key]
      else body[key] = mutateValue()
      return JSON.stringify(body)
    },
    () => {
      const body = notifyBody(pick(orderNos), {
        paymentResult: { resultCode: mutateValue(), resultStatus: pick(['S', 'F', 'U', 's', '', mutateValue()]) },
      })
      return JSON.stringify(body)
    },
    () => JSON.stringify(notifyBody(pick(orderNos), { paymentAmount: { currency: mutateValue(), value: mutateValue() } })),
    () => JSON.stringify(notifyBody(pick(['unknown-order', 'x'.repeat(64), ' ', pick(orderNos)]))),
    () => JSON.stringify(notifyBody(pick(orderNos))).slice(0, Math.floor(rand() * 200)),
    () => pick(['null', '[]', '"text"', '42', '{}', '{"paymentResult":null}', '\uFEFF{}']),
  ]
  let acknowledged = 0
  for (let i = 0; i < 800; i++) {
    const request = await signedNotify(alipayKeys.privateKey, pick(signedBodies)())
    const answer = await send(port, request.headers, Buffer.from(request.payload), agent)
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
    if (![200, 400, 404].includes(answer.status)) t.fail(`signed request answered ${answer.status}: ${answer.body}`)
    if (answer.status === 200) acknowledged++
    counts.signed++
  }
  t.equal(counts.illSigned + counts.signed, 2_400)
  const trail = await audit(world.prisma, orderNos)
  t.equal(trail.deliveries, acknowledged, 'every acknowledged request audited (identical ones counted on one event), none of the rest')
  t.same([trail.badFinalEvents, trail.unexplained], [[], 0], 'each final order decided by one event of its own')
  t.comment(`answers by HTTP status: ${JSON.stringify(Object.fromEntries(statuses))}`)

  // Still answering: a clean notification for a fresh order is recorded.
  await world.store.createOrder({ orderNo: 'fz-after', amount: { currency: 'USD', value: '100' } })
  const clean = await signedNotify(alipayKeys.privateKey, notifyBody('fz-after'))
  const answer = await send(port, clean.headers, Buffer.from(clean.payload), agent)
  t.equal(answer.status, 200)
  t.equal(JSON.parse(answer.body).result.resultStatus, 'S')
  t.equal((await world.store.getOrder('fz-after'))?.status, 'SUCCESS')
  t.equal(CLIENT_ID, clean.headers['client-id'])
})
