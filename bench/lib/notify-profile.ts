// Where the server process's main thread spends a timed notify run: a V8 CPU profile taken
// over exactly that run (started and stopped through the child's RPC, node:inspector), its
// self time summed per layer (Prisma's client, its Wasm query compiler, the pg driver,
// Fastify, Node's HTTP, ...) and divided by the messages the run recorded. RSA runs on libuv's
// thread pool, not on the main thread: it is in no profile (bench/lib/rsa-ceiling.ts gives
// its cost per message).

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

/** Layers, first match wins; a frame's url (or, for Node's built-ins, its name) decides. */
const LAYERS: Array<[string, (url: string, name: string) => boolean]> = [
  ['idle (waiting for I/O)', (_u, n) => n === '(idle)'],
  ['garbage collector', (_u, n) => n === '(garbage collector)'],
  // Socket writes and the hand-off of RSA work to the thread pool (SignJob.run). The profile
  // samples wall-clock time: on an oversubscribed machine the thread is often descheduled
  // inside these calls (they wake PostgreSQL or a pool thread), so they read high there.
  ['syscalls: socket writes, thread-pool hand-off', (u, n) => u === '' && /^(writev|writeBuffer|writeUtf8String|writeLatin1String|run)$/.test(n)],
  ['Prisma query compiler (Wasm)', (u) => u.startsWith('wasm://')],
  ['Prisma client (JS runtime)', (u) => /@prisma\/(client|client-runtime-utils|driver-adapter-utils)\//.test(u)],
  ['pg driver (adapter-pg, pg, pg-protocol)', (u) => /@prisma\/adapter-pg|\/node_modules\/(pg|pg-protocol|pg-types|pg-pool|postgres-[a-z]+|pgpass)\//.test(u)],
  ['MariaDB driver (adapter-mariadb, mariadb)', (u) => /@prisma\/adapter-mariadb|\/node_modules\/mariadb\//.test(u)],
  ['Fastify (router, hooks, reply, ajv)', (u) => /\/node_modules\/(fastify|@fastify|find-my-way|avvio|fast-json-stringify|secure-json-parse|light-my-request|ajv|fast-uri|toad-cache|abstract-logging|pino|process-warning|rfdc)\//.test(u)],
  ['OpenTelemetry API', (u) => /@opentelemetry\//.test(u)],
  ['this project (src/)', (u) => /\/src\//.test(u) && !u.includes('/node_modules/')],
  ['benchmark harness (bench/)', (u) => /\/bench\//.test(u)],
  ['crypto (main-thread part: hash, key handling)', (u, n) => /node:(internal\/)?crypto/.test(u) || /^(sign|verify|update|digest|createHash|Hash)$/.test(n)],
  ['Node HTTP, net, streams, timers', (u) => /^node:/.test(u)],
  ['V8/native (program, builtins)', () => true],
]

export interface ProfileLayer {
  layer: string
  ms: number
  share: number
}

export interface ProfileSummary {
  /** Wall time the profile covers, ms. */
  wallMs: number
  /** Main-thread time not idle, ms. */
  busyMs: number
  layers: ProfileLayer[]
  /** The frames with the most self time (not idle). */
  top: Array<{ frame: string; layer: string; ms: number }>
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/')
  if (nm !== -1) return url.slice(nm + '/node_modules/'.length)
  const src = url.search(/\/(src|bench)\//)
  if (src !== -1) return url.slice(src + 1)
  return url.replace(/^file:\/\//, '')
}

export function summarizeProfile(profile: CpuProfile, topCount = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const selfUs = new Map<number, number>()
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))

  const layerUs = new Map<string, number>()
  const frameUs = new Map<string, { layer: string; us: number }>()
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    const layer = LAYERS.find(([, test]) => test(url, functionName))![0]
    layerUs.set(layer, (layerUs.get(layer) ?? 0) + us)
    const frame = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim()
    const entry = frameUs.get(frame) ?? { layer, us: 0 }
    entry.us += us
    frameUs.set(frame, entry)
  }
  const wallMs = (profile.endTime - profile.startTime) / 1000
  const idleMs = (layerUs.get('idle (waiting for I/O)') ?? 0) / 1000
  const busyMs = wallMs - idleMs
  const layers = LAYERS.map(([layer]) => ({ layer, ms: (layerUs.get(layer) ?? 0) / 1000 }))
    .filter((l) => l.ms > 0)
    .map((l) => ({ ...l, share: l.layer.startsWith('idle') ? Number.NaN : l.ms / busyMs }))
  const top = [...frameUs.entries()]
    .filter(([, v]) => !v.layer.startsWith('idle'))
    .sort((a, b) => b[1].us - a[1].us)
    .slice(0, topCount)
    .map(([frame, v]) => ({ frame, layer: v.layer, ms: v.us / 1000 }))
  return { wallMs, busyMs, layers, top }
}
