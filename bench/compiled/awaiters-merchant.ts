// Child process of bench/awaiters.ts, run from its compiled JavaScript (.bench-build/) under
// plain `node`: the merchant application as a user deploys it, Fastify + fastify-alipayplus
// from dist/ (imported by package name) + the generated Prisma client + adapter-pg, and the
// 10,000 awaitPaymentResult calls. It measures what only it can see (its event-loop delay,
// its V8 heap); the parent reads its RSS from /proc. Driven over IPC.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyAlipayPlus, { type PollingOptions } from 'fastify-alipayplus'
import { openDatabase } from 'fastify-alipayplus/migrate'
import { PrismaClient } from '../../generated/prisma/client.js'
import { serveRpc } from '../lib/rpc-server.js'
import type { AwaitersRun, MerchantStart, WaiterOutcome } from './awaiters-protocol.js'

/** Wall-clock milliseconds, comparable across processes (the parent stamps completions). */
const now = () => performance.timeOrigin + performance.now()

let app: FastifyInstance | undefined
let closeDb: (() => Promise<void>) | undefined
let run: Promise<AwaitersRun> | undefined

function merchant(): FastifyInstance {
  if (!app) throw new Error('not started')
  return app
}

/** Peak V8 heap over the run: sampled, since heapUsed falls back after each GC. */
function sampleHeap(): { stop(): number } {
  let peak = process.memoryUsage().heapUsed
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed)
  }, 100)
  return {
    stop() {
      clearInterval(timer)
      return Math.max(peak, process.memoryUsage().heapUsed)
    },
  }
}

async function awaitAll(orderNos: string[]): Promise<AwaitersRun> {
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  const heap = sampleHeap()
  loopDelay.enable()
  const elu0 = performance.eventLoopUtilization()
  const startedAt = now()
  const outcomes: WaiterOutcome[] = await Promise.all(
    orderNos.map((orderNo) =>
      merchant()
        .awaitPaymentResult(orderNo)
        .then(
          (result): WaiterOutcome => ({ status: result.status, final: result.final, source: result.source, resolvedAt: now() }),
          (error: Error): WaiterOutcome => ({ error: error.message, resolvedAt: now() }),
        ),
    ),
  )
  const elu = performance.eventLoopUtilization(elu0).utilization
  loopDelay.disable()
  return {
    startedAt,
    outcomes,
    elu,
    heapUsedPeak: heap.stop(),
    loopDelayMs: {
      p50: loopDelay.percentile(50) / 1e6,
      p99: loopDelay.percentile(99) / 1e6,
      max: loopDelay.max / 1e6,
      mean: loopDelay.mean / 1e6,
    },
  }
}

serveRpc(
  {
    async start(input: MerchantStart & { polling: PollingOptions; maxInquiriesPerSecond: number }): Promise<{ url: string }> {
      const db = await openDatabase({ PrismaClient, databaseUrl: input.databaseUrl, migrate: false })
      closeDb = () => db.close()
      // No request logging and no reconcile pass: only the work the benchmark asks for.
      app = Fastify({ logger: false, forceCloseConnections: true })
      await app.register(fastifyAlipayPlus, {
        prisma: db.prisma,
        clientId: input.clientId,
        privateKey: input.merchantPrivatePem,
        alipayPublicKey: input.alipayPublicPem,
        gatewayUrl: input.gatewayUrl,
        polling: input.polling,
        maxInquiriesPerSecond: input.maxInquiriesPerSecond,
        reconcile: false,
      })
      return { url: await app.listen({ port: 0, host: '127.0.0.1' }) }
    },
    /** One order through the paths the run uses (Prisma, fetch, signing), so the baseline is a running app's. */
    async warm(orderNo: string) {
      await merchant().alipayplus.store.getOrder(orderNo)
      await merchant().alipayplus.inquiryClient.inquire(orderNo)
    },
    memory: () => process.memoryUsage(),
    /** Heap used after a full collection (null unless node runs with --expose-gc). */
    liveHeap(): number | null {
      const gc = (globalThis as { gc?: () => void }).gc
      if (gc === undefined) return null
      gc()
      return process.memoryUsage().heapUsed
    },
    /** Starts every waiter at once and returns; `results` waits for them. */
    startWaiters(orderNos: string[]) {
      run = awaitAll(orderNos)
    },
    results(): Promise<AwaitersRun> {
      if (!run) throw new Error('no run started')
      return run
    },
    pollerStats: () => merchant().alipayplus.stats(),
    cpuUsage: () => process.cpuUsage(),
  },
  async () => {
    await app?.close()
    await closeDb?.()
  },
)
