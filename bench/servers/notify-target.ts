// Child process of bench/notify.ts and bench/otel.ts: the HTTP server under load, alone in its process so that
// autocannon (in the parent) does not run on its event loop. One of three targets:
//   plugin:   the merchant app with fastify-alipayplus: verify, schema, store.recordResult
//             (the portable store), signed answer; on any of the four databases;
//   store:    a plain route calling the same OrderStore.recordResult, no crypto and no schema;
//   baseline: a plain route calling SingleStatementStore.recordResult (the previous design's
//             single PostgreSQL statement, bench/lib/single-statement-store.ts) with the same
//             input, no crypto and no schema. PostgreSQL only;
//   minimal:  the least a signed notify route can do, written by hand: verify the Alipay+
//             signature, ONE conditional UPDATE by raw SQL (the init -> final transition with
//             the amount check, no audit event), sign the answer. PostgreSQL only.
// All use the same PrismaClient setup (openDatabase's adapter and pool) on the same database.
// On PostgreSQL the process counts the queries its pg connections send (a counter on
// pg.Client.prototype.query, installed before any connection is made): statements per request.
import { Session } from 'node:inspector/promises'
import Fastify, { type FastifyInstance } from 'fastify'
import pg from 'pg'
import { ACKNOWLEDGED } from '../../src/notify/answers.js'
import { type NotifyBody, notifyResult } from '../../src/notify/notify-body-schema.js'
import { OrderStore } from '../../src/store/order-store.js'
import { minimalSignedRoute } from '../lib/minimal-signed-route.js'
import type { DatabaseLocation } from '../lib/database.js'
import type { MerchantKeyPems } from '../lib/keys.js'
import { buildMerchantApp, openPrisma } from '../lib/merchant-app.js'
import type { TargetSettings } from '../lib/notify-plugin-run.js'
import { registerContextManager, registerOtelSdk } from '../lib/otel-sdk.js'
import { TARGET_PATHS, type TargetMode } from '../lib/notify-targets.js'
import { prismaOrderRows, type BenchPrisma } from '../lib/prisma-order-rows.js'
import { serveRpc } from '../lib/rpc-server.js'
import { SingleStatementStore } from '../lib/single-statement-store.js'

let app: FastifyInstance | undefined
let prisma: BenchPrisma | undefined
let closeAll: (() => Promise<void>) | undefined
let pgQueries = 0

const ACK = JSON.stringify(ACKNOWLEDGED)

function countPgQueries(): void {
  const query = pg.Client.prototype.query
  pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
    pgQueries++
    return (query as (...a: unknown[]) => unknown).apply(this, args)
  } as typeof query
}

async function start(input: MerchantKeyPems & DatabaseLocation & TargetSettings & { mode: TargetMode }): Promise<{ url: string }> {
  if (/^postgres(ql)?:/i.test(input.databaseUrl)) countPgQueries()
  if (input.mode === 'plugin') {
    // `mode` is the benchmark's own setting, not a plugin option (unknown options are refused).
    const { openTelemetry = 'api', mode, ...location } = input
    if (openTelemetry === 'ctx') registerContextManager()
    const stopSdk = openTelemetry === 'sdk' ? registerOtelSdk() : undefined
    const merchant = await buildMerchantApp({
      ...location,
      gatewayUrl: 'http://127.0.0.1:9',
      ...(openTelemetry === 'off' ? { openTelemetry: { enabled: false } } : {}),
    })
    app = merchant.app
    prisma = merchant.prisma
    closeAll = async () => {
      await merchant.close()
      await stopSdk?.()
    }
  } else if (input.mode === 'minimal') {
    const db = await openPrisma(input.databaseUrl)
    prisma = db.prisma
    const server = Fastify({ logger: false, forceCloseConnections: true })
    minimalSignedRoute(server, db.prisma, input)
    app = server
    closeAll = async () => {
      await server.close()
      await db.close()
    }
    await server.ready()
  } else {
    const db = await openPrisma(input.databaseUrl, input.pgliteDir)
    prisma = db.prisma
    const store = input.mode === 'store' ? OrderStore.fromClient(db.prisma) : new SingleStatementStore(db.prisma)
    const server = Fastify({ logger: false, forceCloseConnections: true })
    // The same input for both stores: the route's mapping of a notification, its exact text.
    server.post(TARGET_PATHS[input.mode], async (request, reply) => {
      await store.recordResult(notifyResult(request.body as NotifyBody, JSON.stringify(request.body)))
      return reply.type('application/json').send(ACK)
    })
    app = server
    closeAll = async () => {
      await server.close()
      await db.close()
    }
    await server.ready()
  }
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url }
}

// A V8 CPU profile of this process's main thread over exactly a timed run.
let profiler: Session | undefined

async function startProfile(): Promise<void> {
  profiler = new Session()
  profiler.connect()
  await profiler.post('Profiler.enable')
  await profiler.post('Profiler.start')
}

async function stopProfile(): Promise<unknown> {
  if (!profiler) throw new Error('no profile started')
  const { profile } = await profiler.post('Profiler.stop')
  profiler.disconnect()
  profiler = undefined
  return profile
}

function rows() {
  if (!prisma) throw new Error('not started')
  return prismaOrderRows(prisma)
}

serveRpc(
  {
    start,
    cpuUsage: () => process.cpuUsage(),
    pgQueries: () => pgQueries,
    startProfile,
    stopProfile,
    // The harness's bulk work on PGlite, which only this process can reach.
    insertOrders: (orderNos: string[], amount?: { currency: string; value: string }) => rows().insertOrders(orderNos, amount),
    countRun: (prefix: string) => rows().countRun(prefix),
  },
  async () => {
    await closeAll?.()
  },
)
