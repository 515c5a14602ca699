// Counters of the inquiries the simulator received and how it answered them. The concurrency
// high-water mark lets tests check a client's cap on parallel inquiries; the arrival log, its
// cap per second and the order in which orders were asked about.

/** How an inquiry was answered. A tampered answer also counts under its own kind. */
export type InquiryAnswerKind =
  | 'success'
  | 'fail'
  | 'in_process'
  | 'order_not_exist'
  | 'unknown_exception'
  | 'traffic_limit'
  | 'http_5xx'
  | 'invalid_signature'
  | 'invalid_client'
  | 'param_illegal'
  | 'aborted'

export interface InquiryStatsSnapshot {
  received: number
  byPayment: Record<string, number>
  answered: Partial<Record<InquiryAnswerKind, number>>
  tampered: number
  inFlight: number
  maxConcurrent: number
}

/** One inquiry as it reached the simulator. */
export interface InquiryArrival {
  paymentRequestId: string
  /** The Client-Id header it came with: tells callers apart when each has its own (callerClientIds). */
  clientId: string | undefined
  /** Date.now() at arrival. */
  at: number
  /** Date.now() once it was answered (or dropped); undefined while it is in flight. */
  answeredAt: number | undefined
}

export class InquiryStats {
  readonly #arrivals: InquiryArrival[] = []
  #received = 0
  #byPayment = new Map<string, number>()
  #answered = new Map<InquiryAnswerKind, number>()
  #tampered = 0
  #inFlight = 0
  #maxConcurrent = 0

  begin(): void {
    this.#received += 1
    this.#inFlight += 1
    this.#maxConcurrent = Math.max(this.#maxConcurrent, this.#inFlight)
  }

  end(): void {
    this.#inFlight -= 1
  }

  /** Logs the arrival; the caller sets its answeredAt when the inquiry ends. */
  forPayment(paymentRequestId: string, clientId?: string): InquiryArrival {
    const arrival: InquiryArrival = { paymentRequestId, clientId, at: Date.now(), answeredAt: undefined }
    this.#arrivals.push(arrival)
    this.#byPayment.set(paymentRequestId, (this.#byPayment.get(paymentRequestId) ?? 0) + 1)
    return arrival
  }

  answered(kind: InquiryAnswerKind): void {
    this.#answered.set(kind, (this.#answered.get(kind) ?? 0) + 1)
  }

  tampered(): void {
    this.#tampered += 1
  }

  /** Every inquiry naming a payment, in arrival order. */
  arrivals(): InquiryArrival[] {
    return this.#arrivals.map((arrival) => ({ ...arrival }))
  }

  snapshot(): InquiryStatsSnapshot {
    return {
      received: this.#received,
      byPayment: Object.fromEntries(this.#byPayment),
      answered: Object.fromEntries(this.#answered),
      tampered: this.#tampered,
      inFlight: this.#inFlight,
      maxConcurrent: this.#maxConcurrent,
    }
  }
}
