// A minimal keep-alive HTTP POST client (node:http) that timestamps a request with the
// system-wide monotonic clock (process.hrtime.bigint, CLOCK_MONOTONIC on Linux, comparable
// across processes): just before the request is handed to the socket, and when the last byte
// of the response has arrived.
import http from 'node:http'

export interface TimedResponse {
  status: number
  body: string
  sentAt: bigint
  receivedAt: bigint
}

export function keepAliveAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets })
}

export function timedPost(url: URL, headers: Record<string, string>, body: string, agent: http.Agent): Promise<TimedResponse> {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(body, 'utf8')
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(payload.length) } },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), sentAt, receivedAt: process.hrtime.bigint() }),
        )
        response.on('error', reject)
      },
    )
    request.on('error', reject)
    const sentAt = process.hrtime.bigint()
    request.end(payload)
  })
}

export const nsToMs = (ns: bigint): number => Number(ns) / 1e6

/** One request at a time, each sent when the previous answer has arrived. */
export async function sendOneAtATime(url: URL, requests: Array<{ orderNo: string; headers: Record<string, string>; body: string }>): Promise<Map<string, TimedResponse>> {
  const agent = keepAliveAgent(1)
  const out = new Map<string, TimedResponse>()
  try {
    for (const request of requests) out.set(request.orderNo, await timedPost(url, request.headers, request.body, agent))
  } finally {
    agent.destroy()
  }
  return out
}
