// Cross-instance wake-up over PostgreSQL LISTEN/NOTIFY. One dedicated pg connection per
// instance, outside Prisma's pool (a pooled connection is handed to other queries and cannot
// stay in LISTEN), which also sends this instance's NOTIFYs. A dropped connection is
// reconnected, then the listener resyncs, since notifications sent meanwhile are gone.
import type { FastifyBaseLogger } from 'fastify'
import type { Client, ClientConfig, Notification } from 'pg'
import { InvalidOptionError } from '../errors.js'
import { publishWakeup } from '../telemetry/channels.js'
import { loadOptionalPeer } from './optional-peer.js'
import { Outbox } from './outbox.js'
import { reconnectForever } from './reconnect.js'
import type { WakeChannel, WakeListener } from './wake-channel.js'
import type { PostgresConnection } from './wakeup-options.js'

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
  readonly #closing = new AbortController()
  readonly #outbox: Outbox
  #listener: WakeListener | undefined
  #client: Client | undefined
  #reconnecting: Promise<void> | undefined
  /** Messages waiting for the NOTIFY statement in flight. */
  readonly #unsent: string[] = []
  #sending: Promise<void> | undefined

  constructor(connection: PostgresConnection, channel: string, log: FastifyBaseLogger) {
    const base: ClientConfig = typeof connection === 'string' ? { connectionString: connection } : (connection as ClientConfig)
    this.#config = { application_name: WAKEUP_APPLICATION_NAME, ...base }
    this.#channel = channel
    this.#log = log
    this.#outbox = new Outbox(log)
  }

  async start(listener: WakeListener): Promise<void> {
    this.#listener = listener
    try {
      await this.#connect()
    } catch (error) {
      // pg's message names the host or the refusal, never the password.
      const reason = error instanceof Error ? error.message : String(error)
      throw new InvalidOptionError('wakeup', `postgres: could not LISTEN (${reason})`)
    }
  }

  publish(text: string): void {
    this.#unsent.push(text)
    this.#sending ??= this.#sendUnsent().finally(() => {
      this.#sending = undefined
    })
  }

  /**
   * One NOTIFY statement at a time on the connection (pg allows no second query while one
   * runs), each carrying every message queued meanwhile: a burst costs one round trip.
   */
  async #sendUnsent(): Promise<void> {
    while (this.#unsent.length > 0) {
      const client = this.#client
      const batch = this.#unsent.splice(0)
      if (client === undefined) {
        for (const text of batch) this.#outbox.hold(text)
        return
      }
      try {
        await client.query('SELECT pg_notify($1, message) FROM unnest($2::text[]) AS message', [this.#channel, batch])
      } catch (error) {
        this.#log.warn({ err: error }, 'alipayplus wakeup: NOTIFY failed; sent again once reconnected')
        for (const text of batch) this.#outbox.hold(text)
      }
    }
  }

  async close(): Promise<void> {
    this.#closing.abort()
    await this.#reconnecting
    await this.#sending
    const client = this.#client
    this.#client = undefined
    await client?.end().catch(() => {})
  }

  async #connect(): Promise<void> {
    const { Client } = await loadPg()
    const client = new Client(this.#config)
    client.on('notification', (notification: Notification) => {
      if (notification.channel === this.#channel && notification.payload !== undefined) this.#listener?.message(notification.payload)
    })
    // Both fire when the server drops the connection; #lost acts once per client.
    client.on('error', (error) => {
      this.#log.warn({ err: error }, 'alipayplus wakeup: LISTEN connection lost; reconnecting')
      this.#lost(client)
    })
    client.on('end', () => this.#lost(client))
    try {
      await client.connect()
      // The channel was checked to be a plain lower-case identifier; quoted all the same.
      await client.query(`LISTEN "${this.#channel}"`)
    } catch (error) {
      await client.end().catch(() => {})
      throw error
    }
    if (this.#closing.signal.aborted) {
      await client.end().catch(() => {})
      return
    }
    this.#client = client
    publishWakeup(this, 'connect', 'postgres', this.#channel)
    for (const text of this.#outbox.take()) this.publish(text)
  }

  #lost(client: Client): void {
    if (client !== this.#client) return
    this.#client = undefined
    publishWakeup(this, 'disconnect', 'postgres', this.#channel)
    client.end().catch(() => {})
    if (this.#closing.signal.aborted || this.#reconnecting !== undefined) return
    this.#reconnecting = reconnectForever(() => this.#connect(), this.#closing.signal, this.#log, 'LISTEN connection')
      .then(
        () => {
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
