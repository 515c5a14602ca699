// The simulator's book of payments: created PROCESSING, then completed once with SUCCESS or
// FAIL. As at Alipay+, a final result never changes.
import { randomBytes } from 'node:crypto'
import { type Amount, assertAmount } from '../store/amount.js'
import { SimDuplicatePaymentError, SimInvalidInputError, SimPaymentFinalError, SimUnknownPaymentError } from './errors.js'
import { type Faults, parseFaults } from './faults.js'

export type SimPaymentStatus = 'PROCESSING' | 'SUCCESS' | 'FAIL'

export interface SimPayment {
  paymentRequestId: string
  amount: Amount
  status: SimPaymentStatus
  /** paymentResult code once final: SUCCESS, or a failure code such as ORDER_IS_CLOSED. */
  resultCode?: string
  resultMessage?: string
  /** Set on SUCCESS, as Alipay+ sends paymentId, customerId and paymentTime only then. */
  paymentId?: string
  customerId?: string
  paymentTime?: string
  /** Overrides of the global faults for this payment. */
  faults: Partial<Faults>
  /** Inquiries answered since the payment became final (for inquiryInProcessFirstN). */
  inquiriesSinceFinal: number
  /** inquiryPayment calls received (for inquiryTamperFirstN). */
  inquiryCalls: number
  /** cancelPayment calls received (for cancelUnknownFirstN and cancelAnswerLostFirstN). */
  cancelCalls: number
  /** A cancelPayment succeeded: the payment was closed, or (paid) refunded. */
  cancelled: boolean
  /** Paid, then cancelled: refunded in full. status stays SUCCESS, as the payment did happen. */
  refunded: boolean
}

export interface CreatePaymentInput {
  paymentRequestId: string
  amount: Amount
  faults?: Partial<Faults>
}

export interface CompletePaymentInput {
  status: 'SUCCESS' | 'FAIL'
  /** Default SUCCESS, or ORDER_IS_CLOSED for FAIL. */
  resultCode?: string
  resultMessage?: string
  /** SUCCESS only: the paymentId Alipay+ reports. Default: one shaped like real ids. */
  paymentId?: string
}

function digits(count: number): string {
  return Array.from(randomBytes(count), (byte) => String(byte % 10)).join('')
}

export function copyPayment(payment: SimPayment): SimPayment {
  return { ...payment, amount: { ...payment.amount }, faults: { ...payment.faults } }
}

export class PaymentBook {
  readonly #byRequestId = new Map<string, SimPayment>()
  readonly #byPaymentId = new Map<string, SimPayment>()

  create(input: CreatePaymentInput): SimPayment {
    const id = input?.paymentRequestId
    if (typeof id !== 'string' || id.length === 0 || id.length > 64) {
      throw new SimInvalidInputError('paymentRequestId must be a string of 1 to 64 characters')
    }
    assertAmount(input.amount)
    if (this.#byRequestId.has(id)) throw new SimDuplicatePaymentError(id)
    const payment: SimPayment = {
      paymentRequestId: id,
      amount: { currency: input.amount.currency, value: input.amount.value },
      status: 'PROCESSING',
      faults: input.faults === undefined ? {} : parseFaults(input.faults),
      inquiriesSinceFinal: 0,
      inquiryCalls: 0,
      cancelCalls: 0,
      cancelled: false,
      refunded: false,
    }
    this.#byRequestId.set(id, payment)
    return payment
  }

  complete(paymentRequestId: string, input: CompletePaymentInput): SimPayment {
    const payment = this.require(paymentRequestId)
    if (payment.status !== 'PROCESSING') throw new SimPaymentFinalError(paymentRequestId)
    if (input?.status !== 'SUCCESS' && input?.status !== 'FAIL') {
      throw new SimInvalidInputError('status must be "SUCCESS" or "FAIL"')
    }
    // Any non-empty string, even one longer than the protocol allows: a merchant's tests may need it.
    if (input.paymentId !== undefined && (typeof input.paymentId !== 'string' || input.paymentId === '')) {
      throw new SimInvalidInputError('paymentId must be a non-empty string')
    }
    payment.status = input.status
    if (input.status === 'SUCCESS') {
      payment.resultCode = input.resultCode ?? 'SUCCESS'
      payment.resultMessage = input.resultMessage ?? 'success'
      // Shaped like real ids: a date prefix and digits, well within the 64-character limit.
      payment.paymentId = input.paymentId ?? `${new Date().toISOString().slice(0, 10).replaceAll('-', '')}1140${digits(20)}`
      payment.customerId = `2088${digits(12)}`
      payment.paymentTime = new Date().toISOString()
      this.#byPaymentId.set(payment.paymentId, payment)
    } else {
      payment.resultCode = input.resultCode ?? 'ORDER_IS_CLOSED'
      payment.resultMessage = input.resultMessage ?? 'The order is closed.'
    }
    return payment
  }

  /**
   * cancelPayment's effect, as Alipay+ describes it: an unpaid payment is closed (FAIL,
   * ORDER_IS_CLOSED) and can no longer be paid; a paid one is refunded in full. Cancelling
   * again changes nothing.
   */
  cancel(paymentRequestId: string): SimPayment {
    const payment = this.require(paymentRequestId)
    if (payment.status === 'PROCESSING') {
      payment.status = 'FAIL'
      payment.resultCode = 'ORDER_IS_CLOSED'
      payment.resultMessage = 'The order is closed by cancelPayment.'
    } else if (payment.status === 'SUCCESS') {
      payment.refunded = true
    }
    payment.cancelled = true
    return payment
  }

  get(paymentRequestId: string): SimPayment | undefined {
    return this.#byRequestId.get(paymentRequestId)
  }

  getByPaymentId(paymentId: string): SimPayment | undefined {
    return this.#byPaymentId.get(paymentId)
  }

  require(paymentRequestId: string): SimPayment {
    const payment = this.#byRequestId.get(paymentRequestId)
    if (payment === undefined) throw new SimUnknownPaymentError(paymentRequestId)
    return payment
  }

  setFaults(paymentRequestId: string, faults: Partial<Faults>): SimPayment {
    const payment = this.require(paymentRequestId)
    payment.faults = { ...payment.faults, ...parseFaults(faults) }
    return payment
  }
}
