// The machine's RSA-2048 ceiling: how many async crypto.sign (and crypto.verify) calls per
// second all cores complete, keeping `concurrency` calls in flight on libuv's thread pool, as
// the plugin does (src/protocol/signature.ts uses the callback forms). Nothing else runs.
import { sign, verify, type KeyObject } from 'node:crypto'
import { contentToSign, nowRequestTime } from '../../src/protocol/signature.js'
import { CpuMeter } from './cpu.js'
import { CLIENT_ID, NOTIFY_PATH } from './notify-requests.js'

export interface Throughput {
  opsPerSecond: number
  /** Cores this process kept busy meanwhile (about 2.0 when the ceiling is CPU-bound). */
  cores: number
  /** Cores busy outside this process meanwhile (should be about 0). */
  otherCores: number
  /** CPU time per operation, in ms (cores busy / throughput). */
  cpuMsPerOp: number
}

async function measure(durationMs: number, concurrency: number, op: (done: () => void) => void): Promise<Throughput> {
  let completed = 0
  const meter = new CpuMeter()
  const start = performance.now()
  const end = start + durationMs
  const worker = () =>
    new Promise<void>((resolve) => {
      const again = () => {
        completed++
        if (performance.now() >= end) resolve()
        else op(again)
      }
      op(again)
    })
  await Promise.all(Array.from({ length: concurrency }, worker))
  const wallMs = performance.now() - start
  const cpu = meter.stop()
  const opsPerSecond = (completed / wallMs) * 1000
  return { opsPerSecond, cores: cpu.self, otherCores: cpu.machine - cpu.self, cpuMsPerOp: (cpu.self * 1000) / opsPerSecond }
}

/** The content the notify route signs for its answer (about the same size as a real one). */
export function responseContent(): Buffer {
  const body = JSON.stringify({ result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } })
  return contentToSign(NOTIFY_PATH, CLIENT_ID, nowRequestTime(), body)
}

export async function signCeiling(key: KeyObject, durationMs = 3_000, concurrency = 32): Promise<Throughput> {
  const content = responseContent()
  // One untimed round first: thread pool start-up and OpenSSL's key set-up are not the ceiling.
  await measure(200, concurrency, (done) => sign('sha256', content, key, () => done()))
  return measure(durationMs, concurrency, (done) => sign('sha256', content, key, () => done()))
}

export async function verifyCeiling(privateKey: KeyObject, publicKey: KeyObject, durationMs = 2_000, concurrency = 32): Promise<Throughput> {
  const content = responseContent()
  const signature = await new Promise<Buffer>((resolve, reject) =>
    sign('sha256', content, privateKey, (error, sig) => (error ? reject(error) : resolve(sig))),
  )
  await measure(200, concurrency, (done) => verify('sha256', content, publicKey, signature, () => done()))
  return measure(durationMs, concurrency, (done) =>
    verify('sha256', content, publicKey, signature, (error, ok) => {
      if (error || !ok) throw new Error('verify failed in the ceiling measurement')
      done()
    }),
  )
}
