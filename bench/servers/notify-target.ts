// Child process of bench/notify.ts: the HTTP server under load, alone in its process so that
// autocannon (in the parent) does not run on its event loop. One of three targets:
//   plugin: the merchant app with fastify-alipayplus: verify, schema, store.recordResult, signed answer;
//   store:  a plain route calling the same OrderStore.recordResult, no crypto and no schema;
//   bare:   a plain route running only the store's transition statement (the single
//           UPDATE ... WHERE "orderNo" = ? AND status = 'init', with its audit INSERT, one
//           statement), no crypto, no schema, no preceding read.
// All three use the same PrismaClient setup (adapter-pg, default pool) on the same database.
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { ACKNOWLEDGED } from '../../src/notify/answers.js'
import { type NotifyBody, notifyResult } from '../../src/notify/notify-body-schema.js'
import { OrderStore } from '../../src/store/order-store.js'
import type { MerchantKeyPems } from '../lib/keys.js'
import { buildMerchantApp, openPrisma } from '../lib/merchant-app.js'
import { TARGET_PATHS, type TargetMode } from '../lib/notify-targets.js'
import { serveRpc } from '../lib/rpc-server.js'

let app: FastifyInstance | undefined
let closeAll: (() => Promise<void>) | undefined

const ACK = JSON.stringify(ACKNOWLEDGED)

async function start(input: MerchantKeyPems & { mode: TargetMode; databaseUrl: string }): Promise<{ url: string }> {
  if (input.mode === 'plugin') {
    const merchant = await buildMerchantApp({ ...input, gatewayUrl: 'http://127.0.0.1:9' })
    app = merchant.app
    closeAll = merchant.close
  } else {
    const db = await openPrisma(input.databaseUrl)
    const prisma = db.prisma
    const store = OrderStore.fromClient(prisma)
    app = Fastify({ logger: false })
    if (input.mode === 'store') {
      app.post(TARGET_PATHS.store, async (request, reply) => {
        await store.recordResult(notifyResult(request.body as NotifyBody, JSON.stringify(request.body)))
        return reply.type('application/json').send(ACK)
      })
    } else {
      app.post(TARGET_PATHS.bare, async (request, reply) => {
        const body = request.body as NotifyBody
        const now = new Date()
        const eventId = randomUUID()
        const status = body.paymentResult.resultStatus === 'S' ? 'SUCCESS' : 'FAIL'
        // The UPDATE + audit INSERT at the heart of OrderStore's statement, without its read and
        // amount check: what the write costs when nothing else is done.
        await prisma.$queryRaw`
          WITH transition AS (
            UPDATE "PaymentOrder" SET
              "status" = ${status}::"PaymentStatus",
              "paymentId" = ${body.paymentId ?? null},
              "resultCode" = ${body.paymentResult.resultCode},
              "resultMessage" = ${body.paymentResult.resultMessage ?? null},
              "resultSource" = ${'notify'}::"ResultSource",
              "paymentTime" = ${body.paymentTime ? new Date(body.paymentTime) : null},
              "finalizedAt" = ${now},
              "finalEventId" = ${eventId},
              "updatedAt" = ${now}
            WHERE "orderNo" = ${body.paymentRequestId} AND "status" = 'init'
              AND "amount" = ${body.paymentAmount?.value ?? ''} AND "currency" = ${body.paymentAmount?.currency ?? ''}
            RETURNING "orderNo"
          ), event AS (
            INSERT INTO "PaymentEvent" ("id", "orderNo", "source", "resultStatus", "resultCode", "applied", "reason", "payload", "createdAt")
            SELECT ${eventId}, ${body.paymentRequestId}, ${'notify'}::"ResultSource", ${body.paymentResult.resultStatus}, ${body.paymentResult.resultCode},
              EXISTS (SELECT 1 FROM transition),
              CASE WHEN EXISTS (SELECT 1 FROM transition) THEN NULL ELSE 'already_final' END,
              ${JSON.stringify(body)}::jsonb, ${now}
          )
          SELECT "orderNo" FROM transition`
        return reply.type('application/json').send(ACK)
      })
    }
    const server = app
    closeAll = async () => {
      await server.close()
      await db.close()
    }
    await app.ready()
  }
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url }
}

serveRpc(
  {
    start,
    cpuUsage: () => process.cpuUsage(),
  },
  async () => {
    await closeAll?.()
  },
)
