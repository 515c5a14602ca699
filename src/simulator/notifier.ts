// Delivers signed notifyPayment requests to the merchant and redelivers them on a schedule
// until one is acknowledged: HTTP 200, a response signature that verifies with the merchant's
// public key, and result.resultStatus "S". Anything else counts as not received, as at Alipay+.
import type { KeyObject } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { parseJson } from '../protocol/parse-json.js'
import { nowRequestTime, signMessage, verifyMessage } from '../protocol/signature.js'
import type { FaultDice, Faults } from './faults.js'
import { paymentFields } from './payment-fields.js'
import type { SimPayment } from './payments.js'

export type NotificationState = 'pending' | 'acknowledged' | 'exhausted' | 'dropped' | 'cancelled'
export type SettledNotificationState = Exclude<NotificationState, 'pending'>

export interface Identity {
  acquirerId: string
  pspId: string
  walletBrandName: string
}

export interface NotifierOptions {
  clientId: string
  keyVersion: string
  alipayPrivateKey: KeyObject
  /** Resolved only when the wrong-key fault first fires. */
  wrongPrivateKey: () => Promise<KeyObject>
  merchantPublicKeys: KeyObject[]
  /** Delay before each delivery, the first one included, relative to the previous one. */
  scheduleMs: readonly number[]
  timeoutMs: number
  identity: Identity
  /** Effective faults: the global ones, overridden by the payment's own when given. */
  faultsFor: (payment?: SimPayment) => Faults
  dice: FaultDice
  notifyUrl: () => string | undefined
  log: FastifyBaseLogger
}

export interface NotificationStatsSnapshot {
  /** Notifications created: one per payment completed with notify. */
  scheduled: number
  /** HTTP requests made: redeliveries and duplicates included. */
  sent: number
  acknowledged: number
  pending: number
  dropped: number
  exhausted: number
  byPayment: Record<string, { state: NotificationState; attempts: number; sent: number }>
}

interface Notification {
  payment: SimPayment
  /** Built once: every delivery of a notification carries the same body. */
  body: string
  duplicate: boolean
  attempts: number
  sent: number
  state: NotificationState
  timer: NodeJS.Timeout | undefined
  settled: Promise<SettledNotificationState>
  settle: (state: SettledNotificationState) => void
}

function notificationBody(payment: SimPayment, identity: Identity, wrongAmount: boolean): string {
  const success = payment.status === 'SUCCESS'
  const amount = wrongAmount
    ? { currency: payment.amount.currency, value: String(BigInt(payment.amount.value) + 1n) }
    : payment.amount
  return JSON.stringify({
    paymentResult: { resultCode: payment.resultCode, resultStatus: success ? 'S' : 'F', resultMessage: payment.resultMessage },
    ...paymentFields(payment, identity, success, amount),
  })
}

function acknowledged(raw: Buffer): boolean {
  const parsed = parseJson(raw) as { result?: { resultStatus?: unknown } } | null | undefined
  return parsed?.result?.resultStatus === 'S'
}

export class Notifier {
  readonly #options: NotifierOptions
  readonly #notifications = new Map<string, Notification>()
  readonly #closing = new AbortController()
  #due: Notification[] = []
  #flush: NodeJS.Immediate | undefined
  #sent = 0

  constructor(options: NotifierOptions) {
    this.#options = options
  }

  /** Creates the notification of a payment that just became final, and schedules it. */
  notify(payment: SimPayment): void {
    const faults = this.#options.faultsFor(payment)
    const dice = this.#options.dice
    let settle!: (state: SettledNotificationState) => void
    const settled = new Promise<SettledNotificationState>((resolve) => (settle = resolve))
    const notification: Notification = {
      payment,
      body: notificationBody(payment, this.#options.identity, dice.chance(faults.notifyWrongAmountRate)),
      duplicate: dice.chance(faults.notifyDuplicateRate),
      attempts: 0,
      sent: 0,
      state: 'pending',
      timer: undefined,
      settled,
      settle,
    }
    this.#notifications.set(payment.paymentRequestId, notification)
    if (this.#closing.signal.aborted) return this.#settle(notification, 'cancelled')
    if (dice.chance(faults.notifyDropRate)) return this.#settle(notification, 'dropped')
    this.#schedule(notification, (this.#options.scheduleMs[0] ?? 0) + faults.notifyDelayMs)
  }

  /** The notification's final state, or undefined when the payment was never notified. */
  settled(paymentRequestId: string): Promise<SettledNotificationState> | undefined {
    return this.#notifications.get(paymentRequestId)?.settled
  }

  /** Resolves once no notification is pending, including ones created while waiting. */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.#notifications.values()].filter((n) => n.state === 'pending')
      if (pending.length === 0) return
      await Promise.all(pending.map((n) => n.settled))
    }
  }

  stats(): NotificationStatsSnapshot {
    const count = (state: NotificationState) => [...this.#notifications.values()].filter((n) => n.state === state).length
    const byPayment: NotificationStatsSnapshot['byPayment'] = {}
    for (const [id, n] of this.#notifications) byPayment[id] = { state: n.state, attempts: n.attempts, sent: n.sent }
    return {
      scheduled: this.#notifications.size,
      sent: this.#sent,
      acknowledged: count('acknowledged'),
      pending: count('pending'),
      dropped: count('dropped'),
      exhausted: count('exhausted'),
      byPayment,
    }
  }

  /** Stops timers and aborts deliveries in flight; pending notifications become cancelled. */
  close(): void {
    this.#closing.abort()
    if (this.#flush !== undefined) clearImmediate(this.#flush)
    this.#due = []
    for (const n of this.#notifications.values()) {
      if (n.state !== 'pending') continue
      clearTimeout(n.timer)
      this.#settle(n, 'cancelled')
    }
  }

  #settle(n: Notification, state: SettledNotificationState): void {
    n.state = state
    n.settle(state)
  }

  #schedule(n: Notification, delayMs: number): void {
    if (delayMs <= 0) return this.#enqueue(n)
    n.timer = setTimeout(() => {
      n.timer = undefined
      this.#enqueue(n)
    }, delayMs)
  }

  // Deliveries that fall due in the same turn of the event loop form a batch, which is what
  // the reorder fault shuffles.
  #enqueue(n: Notification): void {
    this.#due.push(n)
    this.#flush ??= setImmediate(() => this.#flushDue())
  }

  #flushDue(): void {
    this.#flush = undefined
    const batch = this.#due
    this.#due = []
    if (!this.#options.faultsFor().notifyReorder) {
      for (const n of batch) void this.#attempt(n)
      return
    }
    // Reversed and one at a time, so the merchant sees the reversed order for sure.
    void (async () => {
      for (const n of batch.reverse()) await this.#attempt(n)
    })()
  }

  async #attempt(n: Notification): Promise<void> {
    if (n.state !== 'pending') return
    const url = this.#options.notifyUrl()
    const copies = n.attempts === 0 && n.duplicate ? 2 : 1
    n.attempts += 1
    let ok = false
    if (url === undefined) {
      this.#options.log.warn({ paymentRequestId: n.payment.paymentRequestId }, 'simulator: no notifyUrl set, delivery counted as failed')
    } else {
      const results = await Promise.all(Array.from({ length: copies }, () => this.#send(n, url)))
      ok = results.includes(true)
    }
    if (n.state !== 'pending') return
    if (ok) return this.#settle(n, 'acknowledged')
    const next = this.#options.scheduleMs[n.attempts]
    if (next === undefined) return this.#settle(n, 'exhausted')
    this.#schedule(n, next)
  }

  /** One HTTP delivery; true when acknowledged. Never throws: a failure means "redeliver". */
  async #send(n: Notification, url: string): Promise<boolean> {
    const { clientId, keyVersion, merchantPublicKeys, timeoutMs, log } = this.#options
    const paymentRequestId = n.payment.paymentRequestId
    try {
      const target = new URL(url)
      // Alipay+ signs the path of the notify URL, never its query string.
      const path = target.pathname
      const wrongKey = this.#options.dice.chance(this.#options.faultsFor(n.payment).notifyWrongKeyRate)
      const privateKey = wrongKey ? await this.#options.wrongPrivateKey() : this.#options.alipayPrivateKey
      const headers = await signMessage({ path, clientId, time: nowRequestTime(), body: n.body, privateKey, keyVersion, timeHeader: 'Request-Time' })
      this.#sent += 1
      n.sent += 1
      const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), this.#closing.signal])
      const response = await fetch(target, { method: 'POST', headers, body: n.body, redirect: 'manual', signal })
      const raw = Buffer.from(await response.arrayBuffer())
      if (response.status !== 200) {
        log.info({ paymentRequestId, status: response.status }, 'simulator: notifyPayment not acknowledged (HTTP status)')
        return false
      }
      const verified = await verifyMessage({ path, headers: response.headers, body: raw, publicKeys: merchantPublicKeys, timeHeader: 'Response-Time' })
      if (!verified.ok) {
        log.info({ paymentRequestId, reason: verified.reason }, 'simulator: notifyPayment not acknowledged (response signature)')
        return false
      }
      if (!acknowledged(raw)) {
        log.info({ paymentRequestId }, 'simulator: notifyPayment not acknowledged (result not S)')
        return false
      }
      return true
    } catch (error) {
      // fetch's own message is only "fetch failed": the cause says refused, reset or timed out.
      const cause = (error as { cause?: { code?: string } }).cause?.code
      log.info({ paymentRequestId, error: (error as Error).message, cause }, 'simulator: notifyPayment delivery failed')
      return false
    }
  }
}
