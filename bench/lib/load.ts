// One autocannon run against 127.0.0.1 that sends each prepared request once, in order, across
// all connections; if the run outlasts them it starts over (those are duplicates, and the
// count of requests built says so). CPU use of the machine, of this process (the load
// generator) and of the server process is taken over the same interval.
import autocannon from 'autocannon'
import type { BenchChild } from './child.js'
import { CpuMeter, cpuMicros, type CpuSplit } from './cpu.js'
import type { PreparedRequest } from './notify-requests.js'

export interface LoadOptions {
  url: string
  path: string
  requests: PreparedRequest[]
  seconds: number
  connections: number
  /** The server process, for its CPU use. */
  server: BenchChild
}

export interface LoadRun {
  result: autocannon.Result
  /** Successful responses per second over the run. */
  rps: number
  /** Requests built: when above requests.length, the run reused (duplicated) some. */
  built: number
  reused: number
  /** self = this process, the load generator. */
  cpu: CpuSplit
}

export async function load(options: LoadOptions): Promise<LoadRun> {
  const { requests } = options
  let built = 0
  const setupRequest = (request: autocannon.Request): autocannon.Request => {
    const next = requests[built % requests.length]!
    built++
    return { ...request, method: 'POST', path: options.path, headers: next.headers, body: next.body }
  }
  const server0 = await options.server.call<NodeJS.CpuUsage>('cpuUsage')
  const meter = new CpuMeter()
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    duration: options.seconds,
    timeout: 10,
    requests: [{ setupRequest }],
  })
  const server1 = await options.server.call<NodeJS.CpuUsage>('cpuUsage')
  const cpu = meter.stop(cpuMicros(server1) - cpuMicros(server0))
  return { result, rps: result['2xx'] / result.duration, built, reused: Math.max(0, built - requests.length), cpu }
}
