// Cross-instance wake-up over PostgreSQL LISTEN/NOTIFY. One dedicated pg connection per
// instance, outside Prisma's pool (a pooled connection is handed to other queries and cannot
// stay in LISTEN), which also sends this instance's NOTIFYs. A connection that drops, or goes
// silent (its heartbeat, a NOTIFY to itself, does not come back; a statement times out), is
// destroyed and opened again, then the listener resyncs, since notifications sent meanwhile are
// gone. See heartbeat.ts, outbox.ts and docs/wakeup.md.
import net from 'node:net'
import type { Duplex } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import type { Client, ClientConfig, Notification } from 'pg'
import { InvalidOptionError } from '../errors.js'
import { BatchSender } from './batch-sender.js'
import { Heartbeat } from './heartbeat.js'
import { withoutSecrets } from '../secret-url.js'
import { publishWakeup } from '../telemetry/channels.js'
import { loadOptionalPeer } from './optional-peer.js'
import { Outbox } from './outbox.js'
import { reconnectForever } from './reconnect.js'
import { settleWithin } from './settle-within.js'
import { channelStats, CLOSE_GRACE_MS, KEEPALIVE_DELAY_MS, type WakeChannel, type WakeChannelState, type WakeChannelStats, type WakeListener } from './wake-channel.js'
import type { ChannelLiveness, PostgresConnection } from './wakeup-options.js'

/** How the connection shows in pg_stat_activity. */
export const WAKEUP_APPLICATION_NAME = 'fastify-alipayplus wakeup'

async function loadPg(): Promise<typeof import('pg')> {
  const pg = await loadOptionalPeer(() => import('pg'), 'postgres', 'pg')
  // pg is CommonJS: its exports arrive on default under ESM.
  return (pg as unknown as { default?: typeof import('pg') }).default ?? pg
}

export class PostgresWakeChannel implements WakeChannel {
  readonly #config: ClientConfig
  readonly #channel: string
  readonly #log: FastifyBaseLogger
  readonly #liveness: ChannelLiveness
  readonly #closing = new AbortController()
  readonly #outbox: Outbox
  readonly #sender: BatchSender
  readonly #heartbeat: Heartbeat
  /** Every socket this channel opened that is not closed yet: close() destroys them. */
  readonly #sockets = new Set<Duplex>()
  #listener: WakeListener | undefined
  #client: Client | undefined
  #socket: Duplex | undefined
  #reconnecting: Promise<void> | undefined
  #state: WakeChannelState = 'connecting'
  #reconnects = 0
  #received = 0

  constructor(connection: PostgresConnection, channel: string, liveness: ChannelLiveness, log: FastifyBaseLogger) {
    const base: ClientConfig = typeof connection === 'string' ? { connectionString: connection } : (connection as ClientConfig)
    this.#config = {
      application_name: WAKEUP_APPLICATION_NAME,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
      // Without these a black-holed path hangs a connect, the LISTEN or a NOTIFY for ever.
      connectionTimeoutMillis: liveness.timeoutMs,
      query_timeout: liveness.timeoutMs,
      statement_timeout: liveness.timeoutMs,
      ...base,
    }
    this.#channel = channel
    this.#liveness = liveness
    this.#log = log
    this.#outbox = new Outbox(liveness.maxPending, log)
    this.#sender = new BatchSender(this.#outbox, (batch) => this.#sendBatch(batch), log)
    this.#heartbeat = new Heartbeat({
      intervalMs: liveness.heartbeatMs,
      timeoutMs: liveness.timeoutMs,
      send: (text) => this.#sendHeartbeat(text),
      silent: () => {
        this.#log.warn({ timeoutMs: liveness.timeoutMs }, 'alipayplus wakeup: LISTEN connection silent (heartbeat not heard back); reconnecting')
        if (this.#client) this.#lost(this.#client)
      },
    })
  }

  async start(listener: WakeListener): Promise<void> {
    this.#listener = listener
    try {
      await this.#connect()
    } catch (error) {
      // Only the message, cleaned: a malformed URL's ERR_INVALID_URL carries it whole in `input`.
      const url = this.#config.connectionString
      const reason = error instanceof Error ? error.message : String(error)
      throw new InvalidOptionError('wakeup', `postgres: could not LISTEN (${url === undefined ? reason : withoutSecrets(reason, url)})`)
    }
    this.#heartbeat.start()
  }

  publish(text: string): void {
    this.#outbox.hold(text)
    this.#sender.kick()
  }

  stats(): WakeChannelStats {
    return channelStats('postgres', {
      state: this.#state,
      heartbeat: this.#heartbeat,
      outbox: this.#outbox,
      sender: this.#sender,
      reconnects: this.#reconnects,
      received: this.#received,
    })
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    this.#closing.abort()
    this.#heartbeat.stop()
    const client = this.#client
    this.#client = undefined
    // A healthy connection finishes the NOTIFY in flight and says goodbye; a stalled one would
    // wait for ever (no FIN, no RST comes back), so it gets the grace, then its socket goes.
    await settleWithin(
      CLOSE_GRACE_MS,
      (async () => {
        await this.#sender.settled()
        await client?.end()
      })(),
    )
    for (const socket of this.#sockets) socket.destroy()
    await settleWithin(CLOSE_GRACE_MS, this.#reconnecting)
  }

  /** One NOTIFY statement carries the whole batch. */
  #sendBatch(batch: string[]): Promise<void> | null {
    const client = this.#client
    if (client === undefined) return null
    return this.#query(client, 'SELECT pg_notify($1, message) FROM unnest($2::text[]) AS message', [this.#channel, batch])
  }

  #sendHeartbeat(text: string): boolean {
    const client = this.#client
    if (client === undefined) return false
    // A failure drops the connection already; the heartbeat's own deadline covers a silent one.
    this.#query(client, 'SELECT pg_notify($1, $2)', [this.#channel, text]).catch(() => {})
    return true
  }

  /** A statement that fails or times out on the channel's connection drops it: it may be stalled. */
  async #query(client: Client, text: string, values: unknown[]): Promise<void> {
    try {
      await client.query(text, values)
    } catch (error) {
      if (client === this.#client) this.#log.warn({ err: error }, 'alipayplus wakeup: statement failed on the LISTEN connection; reconnecting')
      this.#lost(client)
      throw error
    }
  }

  async #connect(): Promise<void> {
    this.#closing.signal.throwIfAborted()
    const { Client } = await loadPg()
    const given = this.#config.stream
    let socket: Duplex | undefined
    const client = new Client({
      ...this.#config,
      // The channel's own handle on the socket, so that a stalled one can be destroyed.
      stream: () => {
        socket = (typeof given === 'function' ? given() : given) ?? new net.Socket()
        this.#track(socket)
        return socket
      },
    })
    client.on('notification', (notification: Notification) => this.#heard(notification))
    // Both fire when the server drops the connection; #lost acts once per client.
    client.on('error', (error) => {
      if (client === this.#client) this.#log.warn({ err: error }, 'alipayplus wakeup: LISTEN connection lost; reconnecting')
      this.#lost(client)
    })
    client.on('end', () => this.#lost(client))
    try {
      await client.connect()
      // The channel was checked to be a plain lower-case identifier; quoted all the same.
      await client.query(`LISTEN "${this.#channel}"`)
    } catch (error) {
      socket?.destroy()
      throw error
    }
    if (this.#closing.signal.aborted) {
      socket?.destroy()
      return
    }
    this.#client = client
    this.#socket = socket
    this.#heartbeat.reset()
    this.#state = 'connected'
    publishWakeup(this, 'connect', 'postgres', this.#channel)
    this.#sender.kick()
  }

  #track(socket: Duplex): void {
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
  }

  #heard(notification: Notification): void {
    const text = notification.payload
    if (notification.channel !== this.#channel || text === undefined || this.#heartbeat.received(text)) return
    this.#received++
    this.#listener?.message(text)
  }

  #lost(client: Client): void {
    if (client !== this.#client) return
    this.#client = undefined
    publishWakeup(this, 'disconnect', 'postgres', this.#channel)
    // No goodbye: on a stalled connection end() would wait for an answer that never comes.
    this.#socket?.destroy()
    this.#socket = undefined
    this.#heartbeat.reset()
    if (this.#closing.signal.aborted || this.#reconnecting !== undefined) return
    this.#state = 'reconnecting'
    this.#reconnecting = reconnectForever(() => this.#connect(), this.#closing.signal, this.#log, 'LISTEN connection')
      .then(
        () => {
          if (this.#closing.signal.aborted) return
          this.#reconnects++
          publishWakeup(this, 'resync', 'postgres', this.#channel)
          this.#listener?.resync()
        },
        () => {}, // only when closing
      )
      .finally(() => {
        this.#reconnecting = undefined
      })
  }
}
