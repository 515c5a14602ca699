// Sends a channel's held messages one batch at a time on its connection (pg allows no second
// statement while one runs, and a stalled connection must not collect more than one batch): a
// burst costs one round trip, and everything else waits in the capped outbox.
import type { FastifyBaseLogger } from 'fastify'
import type { Outbox } from './outbox.js'

/** The most messages in one NOTIFY statement or one Redis pipeline. */
export const BATCH_LIMIT = 1_000

/** Sends one batch; null when the channel has no usable connection now (the batch is held). */
export type SendBatch = (batch: string[]) => Promise<void> | null

export class BatchSender {
  readonly #outbox: Outbox
  readonly #send: SendBatch
  readonly #log: FastifyBaseLogger
  #running: Promise<void> | undefined
  #inFlight = 0
  #sent = 0

  constructor(outbox: Outbox, send: SendBatch, log: FastifyBaseLogger) {
    this.#outbox = outbox
    this.#send = send
    this.#log = log
  }

  /** Messages of the batch on the wire now, answer not yet received. */
  get inFlight(): number {
    return this.#inFlight
  }

  /** Messages the server accepted since the channel started. */
  get sent(): number {
    return this.#sent
  }

  /** Sends what is held, unless a batch is already on its way (its end sends the rest). */
  kick(): void {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined
    })
  }

  /** Resolves when the batch in flight, if any, has its answer or its error. */
  settled(): Promise<void> {
    return this.#running ?? Promise.resolve()
  }

  async #run(): Promise<void> {
    while (this.#outbox.size > 0) {
      const batch = this.#outbox.take(BATCH_LIMIT)
      const sending = this.#send(batch)
      if (sending === null) return this.#holdAgain(batch)
      this.#inFlight = batch.length
      try {
        await sending
        this.#sent += batch.length
      } catch (error) {
        this.#log.warn({ err: error, messages: batch.length }, 'alipayplus wakeup: could not send wake-up messages; sent again once reconnected')
        return this.#holdAgain(batch)
      } finally {
        this.#inFlight = 0
      }
    }
  }

  #holdAgain(batch: string[]): void {
    for (const text of batch) this.#outbox.hold(text)
  }
}
