// Wires the simulator's parts into one Fastify server and one control object.
import { generateKeyPair, type KeyObject } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import type { Socket } from 'node:net'
import { promisify } from 'node:util'
import { fastify, type FastifyInstance } from 'fastify'
import { SimNoNotificationError } from './errors.js'
import { controlRoutes, type SimulatorControl } from './control-routes.js'
import { FaultDice, type Faults, parseFaults } from './faults.js'
import { cancelRoute } from './cancel-route.js'
import { inquiryRoute } from './inquiry-route.js'
import { type NotificationStatsSnapshot, Notifier, type SettledNotificationState } from './notifier.js'
import { checkNotifyUrl, type ResolvedOptions, resolveOptions, type SimulatorOptions } from './options.js'
import { type CompletePaymentInput, copyPayment, type CreatePaymentInput, PaymentBook, type SimPayment } from './payments.js'
import { type InquiryArrival, type InquiryStatsSnapshot, InquiryStats } from './stats.js'

export interface SimulatorStats {
  inquiries: InquiryStatsSnapshot
  notifications: NotificationStatsSnapshot
}

const generateRsaKeyPair = promisify(generateKeyPair)

export class AlipayPlusSimulator implements SimulatorControl {
  readonly app: FastifyInstance
  readonly #options: ResolvedOptions
  readonly #payments = new PaymentBook()
  readonly #inquiryStats = new InquiryStats()
  readonly #closing = new AbortController()
  /** Connections of cancel calls whose answer is lost (cancelAnswerLostFirstN), held open. */
  readonly #heldAnswers = new Set<Socket>()
  readonly #notifier: Notifier
  #faults: Faults
  #notifyUrl: string | undefined
  #wrongKey: Promise<KeyObject> | undefined
  #closed: Promise<void> | undefined

  constructor(options: SimulatorOptions) {
    this.#options = resolveOptions(options)
    // Every slow answer in flight listens for close(): thousands at once are normal here.
    setMaxListeners(0, this.#closing.signal)
    this.#faults = this.#options.faults
    this.#notifyUrl = this.#options.notifyUrl
    const dice = new FaultDice(this.#options.seed)
    const faultsFor = (payment?: SimPayment): Faults => (payment ? { ...this.#faults, ...payment.faults } : this.#faults)

    // forceCloseConnections: close() must not wait for keep-alive sockets of the merchant.
    this.app = fastify({ logger: this.#options.logger, forceCloseConnections: true })
    this.#notifier = new Notifier({
      clientId: this.#options.clientId,
      keyVersion: this.#options.keyVersion,
      alipayPrivateKey: this.#options.alipayPrivateKey,
      wrongPrivateKey: () => this.#wrongPrivateKey(),
      merchantPublicKeys: this.#options.merchantPublicKeys,
      scheduleMs: this.#options.scheduleMs,
      timeoutMs: this.#options.notifyTimeoutMs,
      identity: this.#options.identity,
      faultsFor,
      dice,
      notifyUrl: () => this.#notifyUrl,
      log: this.app.log,
    })
    this.app.register(
      inquiryRoute({
        clientId: this.#options.clientId,
        callerClientIds: this.#options.callerClientIds,
        keyVersion: this.#options.keyVersion,
        alipayPrivateKey: this.#options.alipayPrivateKey,
        merchantPublicKeys: this.#options.merchantPublicKeys,
        payments: this.#payments,
        identity: this.#options.identity,
        faultsFor,
        dice,
        stats: this.#inquiryStats,
        closing: this.#closing.signal,
      }),
      { prefix: this.#options.pathPrefix },
    )
    this.app.register(
      cancelRoute({
        clientId: this.#options.clientId,
        callerClientIds: this.#options.callerClientIds,
        keyVersion: this.#options.keyVersion,
        alipayPrivateKey: this.#options.alipayPrivateKey,
        merchantPublicKeys: this.#options.merchantPublicKeys,
        payments: this.#payments,
        faultsFor,
        dice,
        closing: this.#closing.signal,
        held: this.#heldAnswers,
      }),
      { prefix: this.#options.pathPrefix },
    )
    this.app.register(controlRoutes(this), { prefix: '/_sim' })
  }

  /** Starts listening (127.0.0.1 and an ephemeral port by default); resolves with the base URL. */
  async listen(options: { port?: number; host?: string } = {}): Promise<string> {
    return this.app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' })
  }

  /** Stops timers, deliveries and slow answers, then the server. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort()
      this.#notifier.close()
      await this.app.close()
    })()
    return this.#closed
  }

  setNotifyUrl(url: string | undefined): void {
    this.#notifyUrl = checkNotifyUrl(url)
  }

  createPayment(input: CreatePaymentInput): SimPayment {
    return copyPayment(this.#payments.create(input))
  }

  /** Records the final result and, unless notify is false, schedules its notifyPayment. */
  completePayment(paymentRequestId: string, input: CompletePaymentInput & { notify?: boolean }): SimPayment {
    const payment = this.#payments.complete(paymentRequestId, input)
    if (input.notify !== false) this.#notifier.notify(payment)
    return copyPayment(payment)
  }

  getPayment(paymentRequestId: string): SimPayment | undefined {
    const payment = this.#payments.get(paymentRequestId)
    return payment === undefined ? undefined : copyPayment(payment)
  }

  faults(): Faults {
    return { ...this.#faults }
  }

  /** Changes some global faults; the others keep their value. */
  setFaults(faults: Partial<Faults>): Faults {
    this.#faults = { ...this.#faults, ...parseFaults(faults) }
    return this.faults()
  }

  setPaymentFaults(paymentRequestId: string, faults: Partial<Faults>): SimPayment {
    return copyPayment(this.#payments.setFaults(paymentRequestId, faults))
  }

  /**
   * Drops the connections of the lost cancel answers being held (cancelAnswerLostFirstN): the
   * callers see their connection reset now, rather than at their own timeout. How many.
   */
  dropLostAnswers(): number {
    const held = [...this.#heldAnswers]
    for (const socket of held) socket.destroy()
    return held.length
  }

  stats(): SimulatorStats {
    return { inquiries: this.#inquiryStats.snapshot(), notifications: this.#notifier.stats() }
  }

  /** The inquiries naming a payment, in the order they arrived, with their arrival times. */
  inquiryArrivals(): InquiryArrival[] {
    return this.#inquiryStats.arrivals()
  }

  /** Resolves once no notification is pending (acknowledged, exhausted, dropped or cancelled). */
  waitForIdle(): Promise<void> {
    return this.#notifier.idle()
  }

  /** Resolves with how the payment's notification ended. */
  waitForDelivered(paymentRequestId: string): Promise<SettledNotificationState> {
    const settled = this.#notifier.settled(paymentRequestId)
    return settled ?? Promise.reject(new SimNoNotificationError(paymentRequestId))
  }

  #wrongPrivateKey(): Promise<KeyObject> {
    const given = this.#options.wrongPrivateKey
    this.#wrongKey ??= given ? Promise.resolve(given) : generateRsaKeyPair('rsa', { modulusLength: 2048 }).then((pair) => pair.privateKey)
    return this.#wrongKey
  }
}
