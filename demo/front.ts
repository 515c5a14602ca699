// The load balancer in front of the demo's merchant instances: each request (every
// notifyPayment delivery, redeliveries and duplicates included) goes to the next instance in
// turn, as a round-robin balancer would send it. Alipay+ knows one notify URL: this one.
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Front {
  url: string
  close(): Promise<void>
}

export async function startFront(upstreams: string[], port = 0): Promise<Front> {
  let next = 0
  const agent = new http.Agent({ keepAlive: true })
  const server = http.createServer((request, response) => {
    const target = new URL(request.url ?? '/', upstreams[next++ % upstreams.length])
    const upstream = http.request(target, { method: request.method, headers: request.headers, agent }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(response)
    })
    // The instance is gone (closing): the sender sees a 502 and retries, as with a real balancer.
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502)
      response.end()
    })
    // A client that hangs up (a waiter given up) hangs up on the instance too.
    response.on('close', () => {
      if (!response.writableFinished) upstream.destroy()
    })
    request.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      agent.destroy()
    },
  }
}
