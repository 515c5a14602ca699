// Cross-instance wake-up over Redis pub/sub, for MySQL/MariaDB and SQLite (no LISTEN/NOTIFY).
// Two dedicated connections: a subscribed Redis connection can do nothing but listen. ioredis
// reconnects by itself; each time the subscriber is ready again it subscribes, then the
// listener resyncs, since messages published while it was away are gone. A heartbeat (a
// PUBLISH this instance must hear back on its subscriber) proves both connections alive: a
// black-holed socket sends no FIN or RST, so without it a dead subscriber would stay unnoticed.
import type { FastifyBaseLogger } from 'fastify'
import type { Redis, RedisOptions } from 'ioredis'
import { InvalidOptionError } from '../errors.js'
import { BatchSender } from './batch-sender.js'
import { Heartbeat } from './heartbeat.js'
import { redactUrl } from '../secret-url.js'
import { publishWakeup } from '../telemetry/channels.js'
import { loadOptionalPeer } from './optional-peer.js'
import { Outbox } from './outbox.js'
import { settleWithin } from './settle-within.js'
import { channelStats, CLOSE_GRACE_MS, KEEPALIVE_DELAY_MS, type WakeChannel, type WakeChannelState, type WakeChannelStats, type WakeListener } from './wake-channel.js'
import type { ChannelLiveness, RedisConnection } from './wakeup-options.js'

async function loadRedis(): Promise<typeof Redis> {
  return (await loadOptionalPeer(() => import('ioredis'), 'redis', 'ioredis')).Redis
}

export class RedisWakeChannel implements WakeChannel {
  readonly #connection: RedisConnection
  readonly #channel: string
  readonly #log: FastifyBaseLogger
  readonly #liveness: ChannelLiveness
  readonly #outbox: Outbox
  readonly #sender: BatchSender
  readonly #heartbeat: Heartbeat
  #subscriber: Redis | undefined
  #publisher: Redis | undefined
  #listener: WakeListener | undefined
  #state: WakeChannelState = 'connecting'
  #subscribedBefore = false
  #reconnects = 0
  #received = 0

  constructor(connection: RedisConnection, channel: string, liveness: ChannelLiveness, log: FastifyBaseLogger) {
    this.#connection = connection
    this.#channel = channel
    this.#liveness = liveness
    this.#log = log
    this.#outbox = new Outbox(liveness.maxPending, log)
    this.#sender = new BatchSender(this.#outbox, (batch) => this.#sendBatch(batch), log)
    this.#heartbeat = new Heartbeat({
      intervalMs: liveness.heartbeatMs,
      timeoutMs: liveness.timeoutMs,
      send: (text) => this.#sendHeartbeat(text),
      silent: () => this.#silent(),
    })
  }

  async start(listener: WakeListener): Promise<void> {
    this.#listener = listener
    // Subscribed by hand on every 'ready', so that the resync follows the subscription.
    const subscriber = await this.#open({ autoResubscribe: false })
    // A publish while Redis is down fails at once, into our bounded outbox, not ioredis's
    // unbounded offline queue; a PUBLISH unanswered for timeoutMs drops the connection.
    const publisher = await this.#open({ enableOfflineQueue: false, socketTimeout: this.#liveness.timeoutMs })
    this.#subscriber = subscriber
    this.#publisher = publisher
    const subscriberReady = this.#guardHandshake(subscriber)
    const publisherReady = this.#guardHandshake(publisher)
    publisher.on('ready', () => {
      publisherReady()
      this.#sender.kick()
    })
    subscriber.on('message', (channel: string, text: string) => this.#heard(channel, text))
    let subscribed!: () => void
    const firstSubscription = new Promise<void>((resolve) => {
      subscribed = resolve
    })
    subscriber.on('ready', () => void this.#subscribe(subscriber, subscriberReady).then(subscribed))
    subscriber.on('close', () => {
      if (this.#state !== 'connected') return
      this.#state = 'reconnecting'
      this.#heartbeat.reset()
      publishWakeup(this, 'disconnect', 'redis', this.#channel)
    })
    try {
      await subscriber.connect()
      await publisher.connect()
    } catch (error) {
      await this.close()
      const reason = error instanceof Error ? error.message : String(error)
      throw new InvalidOptionError('wakeup', `redis: could not connect (${reason})`)
    }
    await settleWithin(this.#liveness.timeoutMs, firstSubscription)
    this.#heartbeat.start()
  }

  publish(text: string): void {
    this.#outbox.hold(text)
    this.#sender.kick()
  }

  stats(): WakeChannelStats {
    return channelStats('redis', {
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
    this.#heartbeat.stop()
    // A healthy publisher finishes the batch in flight; a stalled one gets the grace.
    await settleWithin(CLOSE_GRACE_MS, this.#sender.settled())
    for (const connection of [this.#subscriber, this.#publisher]) {
      connection?.disconnect()
      // disconnect() half-closes and waits for the server's FIN, which a black-holed path never sends.
      connection?.stream?.destroy()
    }
  }

  async #subscribe(subscriber: Redis, subscribed: () => void): Promise<void> {
    try {
      await subscriber.subscribe(this.#channel)
    } catch (error) {
      // The connection went again; the next 'ready' subscribes.
      this.#log.warn({ err: error }, 'alipayplus wakeup: Redis SUBSCRIBE failed')
      return
    }
    subscribed()
    if (this.#state === 'closed') return
    this.#state = 'connected'
    this.#heartbeat.reset()
    publishWakeup(this, 'connect', 'redis', this.#channel)
    if (this.#subscribedBefore) {
      this.#reconnects++
      publishWakeup(this, 'resync', 'redis', this.#channel)
      this.#listener?.resync()
    }
    this.#subscribedBefore = true
  }

  /** The batch in one pipeline: one round trip. */
  #sendBatch(batch: string[]): Promise<void> | null {
    const publisher = this.#publisher
    if (publisher === undefined || publisher.status !== 'ready') return null
    return publisher
      .pipeline(batch.map((text) => ['publish', this.#channel, text]))
      .exec()
      .then((results) => {
        const failure = results === null ? new Error('pipeline aborted') : results.find(([error]) => error)?.[0]
        if (failure) throw failure
      })
  }

  #sendHeartbeat(text: string): boolean {
    const publisher = this.#publisher
    if (this.#state !== 'connected' || publisher === undefined || publisher.status !== 'ready') return false
    // A failure is the heartbeat's own deadline's to judge.
    publisher.publish(this.#channel, text).catch(() => {})
    return true
  }

  #heard(channel: string, text: string): void {
    if (channel !== this.#channel || this.#heartbeat.received(text)) return
    this.#received++
    this.#listener?.message(text)
  }

  /** Either connection may be the dead one: both go, and ioredis opens them again. */
  #silent(): void {
    this.#log.warn({ timeoutMs: this.#liveness.timeoutMs }, 'alipayplus wakeup: Redis connection silent (heartbeat not heard back); reconnecting')
    if (this.#state === 'connected') publishWakeup(this, 'disconnect', 'redis', this.#channel)
    this.#state = 'reconnecting'
    for (const connection of [this.#subscriber, this.#publisher]) connection?.stream?.destroy()
  }

  /**
   * ioredis's connectTimeout ends at the TCP connect; what follows (CLIENT SETNAME, the ready
   * check, SUBSCRIBE) would hang for ever on a black-holed path, with no heartbeat to notice
   * since the channel is not connected. So it gets timeoutMs too. Returns "handshake done".
   */
  #guardHandshake(connection: Redis): () => void {
    let timer: NodeJS.Timeout | undefined
    const done = () => clearTimeout(timer)
    connection.on('connect', () => {
      done()
      timer = setTimeout(() => {
        this.#log.warn({ timeoutMs: this.#liveness.timeoutMs }, 'alipayplus wakeup: Redis connection handshake unanswered; reconnecting')
        connection.stream?.destroy()
      }, this.#liveness.timeoutMs)
      timer.unref()
    })
    connection.on('close', done)
    return done
  }

  async #open(overrides: RedisOptions): Promise<Redis> {
    const options: RedisOptions = {
      lazyConnect: true,
      connectionName: 'fastify-alipayplus-wakeup',
      keepAlive: KEEPALIVE_DELAY_MS,
      connectTimeout: this.#liveness.timeoutMs,
      ...overrides,
    }
    const connection =
      typeof this.#connection === 'string'
        ? await this.#fromUrl(this.#connection, options)
        : (this.#connection.duplicate as (options: RedisOptions) => Redis).call(this.#connection, options)
    // Unhandled, ioredis's 'error' events (one per failed reconnect) would crash the process.
    connection.on('error', (error: Error) => this.#log.warn({ err: error }, 'alipayplus wakeup: Redis connection error; reconnecting'))
    return connection
  }

  async #fromUrl(url: string, options: RedisOptions): Promise<Redis> {
    const Redis = await loadRedis()
    try {
      return new Redis(url, options)
    } catch {
      // ioredis parses with Node's URL, whose ERR_INVALID_URL carries the whole URL in `input`.
      throw new InvalidOptionError('wakeup', `redis is not a valid Redis URL (${redactUrl(url)})`)
    }
  }
}
