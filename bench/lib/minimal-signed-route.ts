// The least a signed notifyPayment route can do, written by hand, as the yardstick for the
// plugin's whole route (bench/notify.ts): the raw bytes, the Alipay+ signature checked over
// them (the same RSA work as the plugin: src/protocol/signature.ts), JSON.parse, ONE
// conditional UPDATE by raw SQL through the same PrismaClient ($executeRaw: the init -> final
// transition with the amount check, no audit event, no schema, no telemetry), and the signed
// acknowledgement. PostgreSQL only: it names the table.
import { createPrivateKey, createPublicKey } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { PrismaClient } from '../../generated/prisma/client.js'
import { ACKNOWLEDGED } from '../../src/notify/answers.js'
import { nowRequestTime, signMessage, verifyMessage } from '../../src/protocol/signature.js'
import type { MerchantKeyPems } from './keys.js'
import { CLIENT_ID, NOTIFY_PATH } from './notify-requests.js'

interface Notification {
  paymentRequestId: string
  paymentId?: string
  paymentResult: { resultCode: string; resultStatus: 'S' | 'F' }
  paymentAmount?: { currency: string; value: string }
  paymentTime?: string
}

export function minimalSignedRoute(app: FastifyInstance, prisma: PrismaClient, keys: MerchantKeyPems): void {
  const privateKey = createPrivateKey(keys.merchantPrivatePem)
  const publicKeys = [createPublicKey(keys.alipayPublicPem)]
  const ack = JSON.stringify(ACKNOWLEDGED)

  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
  app.post(NOTIFY_PATH, async (request, reply) => {
    const raw = request.body as Buffer
    const verified = await verifyMessage({ path: NOTIFY_PATH, headers: request.headers, body: raw, publicKeys, timeHeader: 'Request-Time' })
    if (!verified.ok) return reply.code(401).send({ reason: verified.reason })
    const body = JSON.parse(raw.toString('utf8')) as Notification
    const success = body.paymentResult.resultStatus === 'S'
    const now = new Date()
    const updated = await prisma.$executeRaw`
      UPDATE "PaymentOrder" SET
        "status" = ${success ? 'SUCCESS' : 'FAIL'}::"PaymentStatus",
        "paymentId" = ${body.paymentId ?? null},
        "resultCode" = ${body.paymentResult.resultCode},
        "resultSource" = 'notify'::"ResultSource",
        "paymentTime" = ${body.paymentTime ? new Date(body.paymentTime) : null},
        "finalizedAt" = ${now},
        "updatedAt" = ${now}
      WHERE "orderNo" = ${body.paymentRequestId} AND "status" = 'init'
        AND (${!success} OR ("amount" = ${body.paymentAmount?.value ?? ''} AND "currency" = ${body.paymentAmount?.currency ?? ''}))`
    if (updated !== 1) return reply.code(409).send({ orderNo: body.paymentRequestId })
    const headers = await signMessage({
      path: NOTIFY_PATH,
      clientId: CLIENT_ID,
      time: nowRequestTime(),
      body: ack,
      privateKey,
      keyVersion: '1',
      timeHeader: 'Response-Time',
    })
    return reply.headers(headers).send(ack)
  })
}
