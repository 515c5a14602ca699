// One delivery claim while its run goes on: renewed every leaseMs / 3, one renewal at a time,
// and trusted only until a deadline on this process's monotonic clock (performance.now()):
//
//   deadline = (when the last confirmed claim or renewal was SENT) + leaseMs - maxClockSkewMs
//
// Past it, with no newer renewal confirmed, the claim may have lapsed in the database and
// another instance may take it: the run is told at once (onLost, which aborts the handler's
// signal with FST_ALIPAYPLUS_DELIVERY_CLAIM_LOST), before that can happen. Measured from the
// send, not the answer, because the row's deliveryUntil was computed at the send; on the
// monotonic clock, because a wall clock stepped back or forth would move the deadline. The
// margin covers the other instances' clocks: they compare deliveryUntil (written from this
// instance's Date.now()) with their own Date.now(), so an instance whose clock is ahead by d
// sees the claim lapse d early. See docs/delivery.md for the bound.
//
// One renewal in flight at a time: two renewals answered out of order could leave the older,
// earlier deliveryUntil in the row while the deadline counted from the newer one.
import { performance } from 'node:perf_hooks'
import type { FastifyBaseLogger } from 'fastify'
import { DeliveryClaimLostError } from '../errors.js'
import type { ClaimToken, DeliveryClaims } from './delivery-claims.js'

export interface ClaimTiming {
  leaseMs: number
  maxClockSkewMs: number
  /** The wall clock the claim's deliveryUntil is computed from (DeliveryClaims.wallClock). */
  wallClock: () => number
}

/** A failed renewal (an error, not a lost claim) is tried again this much sooner than a regular one. */
const RETRY_FRACTION = 4

export class HeldClaim {
  readonly token: ClaimToken
  /** A regular renewal this long after the last confirmed send. */
  readonly renewEveryMs: number
  readonly #claims: DeliveryClaims
  readonly #timing: ClaimTiming
  readonly #log: FastifyBaseLogger
  readonly #onLost: (reason: Error) => void
  /** performance.now() at the send of the last confirmed claim or renewal. */
  #confirmedSentAt: number
  #inFlight: Promise<boolean> | undefined
  #renewTimer: NodeJS.Timeout | undefined
  #deadlineTimer: NodeJS.Timeout | undefined
  #renewing = false
  #lost = false
  #ended = false

  /** `sentAt`: performance.now() just before the claim (computed with `until(timing)`) was sent. */
  constructor(
    claims: DeliveryClaims,
    token: ClaimToken,
    sentAt: number,
    timing: ClaimTiming,
    log: FastifyBaseLogger,
    onLost: (reason: Error) => void,
  ) {
    this.#claims = claims
    this.token = token
    this.#confirmedSentAt = sentAt
    this.#timing = timing
    this.#log = log
    this.#onLost = onLost
    this.renewEveryMs = Math.floor(timing.leaseMs / 3)
  }

  /** The deliveryUntil of a claim or renewal sent now. */
  static until(timing: ClaimTiming): Date {
    return new Date(timing.wallClock() + timing.leaseMs)
  }

  /** How much longer the claim is surely this run's; 0 once it may not be. */
  remainingMs(): number {
    if (this.#lost) return 0
    return Math.max(0, this.#deadline() - performance.now())
  }

  /** Time since the send the deadline counts from. */
  ageMs(): number {
    return performance.now() - this.#confirmedSentAt
  }

  /** Keeps the claim while the run goes on: regular renewals, and onLost at the deadline. */
  keep(): void {
    this.#renewing = true
    this.#scheduleRenewal(Math.max(0, this.renewEveryMs - this.ageMs()))
    this.#watchDeadline()
  }

  /** No more renewals (the server is closing): the claim lapses at its deadline, as the log says. */
  stopRenewing(): void {
    this.#renewing = false
    clearTimeout(this.#renewTimer)
  }

  /** The run is over: no renewal, no deadline, no onLost. */
  end(): void {
    this.#ended = true
    this.stopRenewing()
    clearTimeout(this.#deadlineTimer)
  }

  /** Renews now (or joins the renewal in flight). true when the claim is still this run's. Never rejects. */
  renewNow(): Promise<boolean> {
    this.#inFlight ??= this.#renew().finally(() => {
      this.#inFlight = undefined
    })
    return this.#inFlight
  }

  #deadline(): number {
    return this.#confirmedSentAt + this.#timing.leaseMs - this.#timing.maxClockSkewMs
  }

  async #renew(): Promise<boolean> {
    const sentAt = performance.now()
    let renewed: boolean
    try {
      renewed = await this.#claims.renew(this.token, HeldClaim.until(this.#timing))
    } catch (error) {
      this.#log.warn({ err: error, orderNo: this.token.orderNo }, 'alipayplus delivery: could not renew the claim; trying again')
      return this.remainingMs() > 0
    }
    if (!renewed) {
      // Another run holds it now (or the result was settled): stop at once.
      this.#lose()
      return false
    }
    if (!this.#lost && !this.#ended) {
      this.#confirmedSentAt = Math.max(this.#confirmedSentAt, sentAt)
      this.#watchDeadline()
    }
    return this.remainingMs() > 0
  }

  #scheduleRenewal(delayMs: number): void {
    clearTimeout(this.#renewTimer)
    if (!this.#renewing || this.#lost || this.#ended) return
    this.#renewTimer = setTimeout(() => {
      void this.renewNow().then((held) => {
        const next = held ? this.renewEveryMs - this.ageMs() : this.renewEveryMs / RETRY_FRACTION
        this.#scheduleRenewal(Math.max(0, Math.floor(next)))
      })
    }, delayMs)
  }

  #watchDeadline(): void {
    clearTimeout(this.#deadlineTimer)
    if (this.#lost || this.#ended) return
    const left = this.#deadline() - performance.now()
    if (left <= 0) {
      this.#lose()
      return
    }
    // Checked again when it fires: a timer may fire a fraction of a millisecond early.
    this.#deadlineTimer = setTimeout(() => this.#watchDeadline(), Math.ceil(left))
  }

  #lose(): void {
    if (this.#lost || this.#ended) return
    this.#lost = true
    this.stopRenewing()
    clearTimeout(this.#deadlineTimer)
    this.#onLost(new DeliveryClaimLostError(this.token.orderNo))
  }
}
