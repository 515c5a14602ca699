// Cross-instance wake-up over Redis pub/sub, for MySQL/MariaDB and SQLite (no LISTEN/NOTIFY).
// Two dedicated connections: a subscribed Redis connection can do nothing but listen. ioredis
// reconnects by itself; each time the subscriber is ready again it subscribes, then the
// listener resyncs, since messages published while it was away are gone.
import type { FastifyBaseLogger } from 'fastify'
import type { Redis, RedisOptions } from 'ioredis'
import { InvalidOptionError } from '../errors.js'
import { publishWakeup } from '../telemetry/channels.js'
import { loadOptionalPeer } from './optional-peer.js'
import { Outbox } from './outbox.js'
import type { WakeChannel, WakeListener } from './wake-channel.js'
import type { RedisConnection } from './wakeup-options.js'

async function loadRedis(): Promise<typeof Redis> {
  return (await loadOptionalPeer(() => import('ioredis'), 'redis', 'ioredis')).Redis
}

export class RedisWakeChannel implements WakeChannel {
  readonly #connection: RedisConnection
  readonly #channel: string
  readonly #log: FastifyBaseLogger
  #subscriber: Redis | undefined
  #publisher: Redis | undefined
  #listener: WakeListener | undefined
  readonly #outbox: Outbox
  #closed = false

  constructor(connection: RedisConnection, channel: string, log: FastifyBaseLogger) {
    this.#connection = connection
    this.#channel = channel
    this.#log = log
    this.#outbox = new Outbox(log)
  }

  async start(listener: WakeListener): Promise<void> {
    this.#listener = listener
    // Subscribed by hand on every 'ready', so that the resync follows the subscription.
    const subscriber = await this.#open({ autoResubscribe: false })
    // A publish while Redis is down fails at once, into our bounded outbox, not ioredis's unbounded queue.
    const publisher = await this.#open({ enableOfflineQueue: false })
    publisher.on('ready', () => {
      for (const text of this.#outbox.take()) this.publish(text)
    })
    this.#subscriber = subscriber
    this.#publisher = publisher
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.#channel) this.#listener?.message(text)
    })
    let connectedBefore = false
    const subscribe = async () => {
      try {
        await subscriber.subscribe(this.#channel)
      } catch (error) {
        // The connection went again; the next 'ready' subscribes.
        this.#log.warn({ err: error }, 'alipayplus wakeup: Redis SUBSCRIBE failed')
        return
      }
      publishWakeup(this, 'connect', 'redis', this.#channel)
      if (connectedBefore) publishWakeup(this, 'resync', 'redis', this.#channel)
      if (connectedBefore) this.#listener?.resync()
      connectedBefore = true
    }
    subscriber.on('ready', () => void subscribe())
    subscriber.on('close', () => publishWakeup(this, 'disconnect', 'redis', this.#channel))
    try {
      await subscriber.connect()
      await publisher.connect()
    } catch (error) {
      await this.close()
      const reason = error instanceof Error ? error.message : String(error)
      throw new InvalidOptionError('wakeup', `redis: could not connect (${reason})`)
    }
  }

  publish(text: string): void {
    const publisher = this.#publisher
    if (publisher === undefined || publisher.status !== 'ready') return this.#outbox.hold(text)
    publisher.publish(this.#channel, text).catch((error: unknown) => {
      this.#log.warn({ err: error }, 'alipayplus wakeup: Redis PUBLISH failed; sent again once reconnected')
      this.#outbox.hold(text)
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const connection of [this.#subscriber, this.#publisher]) connection?.disconnect()
  }

  async #open(overrides: RedisOptions): Promise<Redis> {
    const options: RedisOptions = { lazyConnect: true, connectionName: 'fastify-alipayplus-wakeup', ...overrides }
    const connection =
      typeof this.#connection === 'string'
        ? new (await loadRedis())(this.#connection, options)
        : (this.#connection.duplicate as (options: RedisOptions) => Redis).call(this.#connection, options)
    // Unhandled, ioredis's 'error' events (one per failed reconnect) would crash the process.
    connection.on('error', (error: Error) => this.#log.warn({ err: error }, 'alipayplus wakeup: Redis connection error; reconnecting'))
    return connection
  }
}
