// Open-loop load: request i is due at start + i / rate, whatever happened to the earlier ones
// (autocannon's overallRate instead releases each second's quota in a burst at the start of
// the second, which measures its own bursts). Latency is taken from the due time, so a late
// send (all sockets busy) counts against the server, not hidden (no coordinated omission).
import type http from 'node:http'
import { keepAliveAgent, nsToMs, timedPost, type TimedResponse } from './http-post.js'
import type { PreparedRequest } from './notify-requests.js'

export interface PacedResult {
  /** due time -> last byte of the response, ms, one per request. */
  latencies: number[]
  responses: Map<string, TimedResponse & { dueAt: bigint }>
  non200: number
  errors: number
  seconds: number
}

export async function pacedLoad(url: URL, requests: PreparedRequest[], rate: number, maxSockets = 64): Promise<PacedResult> {
  const agent: http.Agent = keepAliveAgent(maxSockets)
  const responses = new Map<string, TimedResponse & { dueAt: bigint }>()
  const latencies: number[] = []
  let non200 = 0
  let errors = 0
  const inFlight: Array<Promise<void>> = []
  const start = process.hrtime.bigint()
  const intervalNs = BigInt(Math.round(1e9 / rate))
  let next = 0
  try {
    while (next < requests.length) {
      const now = process.hrtime.bigint()
      while (next < requests.length && start + BigInt(next) * intervalNs <= now) {
        const request = requests[next]!
        const dueAt = start + BigInt(next) * intervalNs
        next++
        inFlight.push(
          timedPost(url, request.headers, request.body, agent).then(
            (response) => {
              responses.set(request.orderNo, { ...response, dueAt })
              latencies.push(nsToMs(response.receivedAt - dueAt))
              if (response.status !== 200) non200++
            },
            () => {
              errors++
            },
          ),
        )
      }
      const wait = Number(start + BigInt(next) * intervalNs - process.hrtime.bigint()) / 1e6
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.floor(wait))))
    }
    await Promise.all(inFlight)
  } finally {
    agent.destroy()
  }
  return { latencies, responses, non200, errors, seconds: nsToMs(process.hrtime.bigint() - start) / 1000 }
}
