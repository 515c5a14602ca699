// Calls inquiryPayment (and cancelPayment) and turns every possible answer, or the lack of
// one, into an outcome. Only the caller's abort and close() reject: everything else is an outcome.
import type { KeyObject } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { InvalidOptionError } from '../errors.js'
import { MAX_TIMER_MS, TIMER_LIMIT_PROBLEM } from '../timer-limit.js'
import { InquiryClientClosedError } from './errors.js'
import { parseJson } from './parse-json.js'
import { type CancelOutcome, classifyCancelResponse } from './cancel-outcome.js'
import { classifyInquiryResponse, type InquiryOutcome, type RetryOutcome, type SetupErrorOutcome } from './inquiry-outcome.js'
import { nowRequestTime, signMessage, verifyMessage } from './signature.js'
import { traceCall } from '../telemetry/channels.js'

export const INQUIRY_PAYMENT_PATH = '/aps/api/v1/payments/inquiryPayment'
export const CANCEL_PAYMENT_PATH = '/aps/api/v1/payments/cancelPayment'

export interface InquiryClientOptions {
  /** e.g. https://open-sea-global.alipayplus.com; a path prefix is kept in the URL, never signed. */
  gatewayUrl: string
  clientId: string
  privateKey: KeyObject
  alipayPublicKeys: KeyObject[]
  keyVersion: string
  requestTimeoutMs: number
  /**
   * Read an answer that carries no Signature header as if it were signed. Default false: the
   * Alipay+ docs require the response signature to be checked, and an unsigned answer could
   * come from anyone on the path. Only for a test double that cannot sign.
   */
  acceptUnsignedInquiryResponses?: boolean
}

/** The gateway URL, checked: http(s), no query or fragment. */
function gatewayBase(gatewayUrl: string): URL {
  let gateway: URL
  try {
    gateway = new URL(gatewayUrl)
  } catch {
    throw new InvalidOptionError('gatewayUrl', 'must be an absolute http(s) URL')
  }
  if ((gateway.protocol !== 'https:' && gateway.protocol !== 'http:') || gateway.search !== '' || gateway.hash !== '') {
    throw new InvalidOptionError('gatewayUrl', 'must be an http(s) URL without query or fragment')
  }
  return gateway
}

/** Where a call goes: the gateway URL, its path prefix included, then the API path. */
function endpoint(gateway: URL, apiPath: string): URL {
  const prefix = gateway.pathname.replace(/\/+$/, '')
  return new URL(`${prefix}${apiPath}`, gateway.origin)
}

/** What came back over HTTP, before anything in it is trusted. */
interface Exchange {
  status: number
  headers: Headers
  raw: Buffer
}

function untrusted(resultMessage: string, httpStatus: number, resultCode = 'INVALID_RESPONSE_SIGNATURE'): SetupErrorOutcome {
  return { kind: 'setup_error', resultCode, resultMessage, httpStatus, untrusted: true }
}

function describeNetworkError(error: unknown): string {
  // fetch reports "fetch failed" and puts the socket error (ECONNREFUSED, ...) in cause.
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : ''
  const message = error instanceof Error ? error.message : String(error)
  return detail ? `${message}: ${detail}` : message
}

export class InquiryClient {
  // What is signed (and what the answer is signed over) is the API path alone: the SDKs send to
  // gatewayUrl + path but sign only path, so a prefix such as /sandbox, which a proxy in front
  // of Alipay+ strips, never enters the signature.
  readonly #inquiryEndpoint: URL
  readonly #cancelEndpoint: URL
  readonly #options: InquiryClientOptions
  readonly #closing = new AbortController()

  constructor(options: InquiryClientOptions) {
    if (!Number.isInteger(options.requestTimeoutMs) || options.requestTimeoutMs <= 0) {
      throw new InvalidOptionError('requestTimeoutMs', 'must be a positive integer number of milliseconds')
    }
    if (options.requestTimeoutMs > MAX_TIMER_MS) throw new InvalidOptionError('requestTimeoutMs', TIMER_LIMIT_PROBLEM)
    const gateway = gatewayBase(options.gatewayUrl)
    this.#inquiryEndpoint = endpoint(gateway, INQUIRY_PAYMENT_PATH)
    this.#cancelEndpoint = endpoint(gateway, CANCEL_PAYMENT_PATH)
    this.#options = options
    // Every call in flight listens for close(): up to maxConcurrentInquiries at once is normal.
    setMaxListeners(0, this.#closing.signal)
  }

  inquire(orderNo: string, options: { signal?: AbortSignal } = {}): Promise<InquiryOutcome> {
    return traceCall(this, 'inquiryPayment', orderNo, () => this.#inquire(orderNo, options))
  }

  async #inquire(orderNo: string, options: { signal?: AbortSignal }): Promise<InquiryOutcome> {
    const exchange = await this.#post(this.#inquiryEndpoint, INQUIRY_PAYMENT_PATH, orderNo, options.signal)
    if (!('raw' in exchange)) return exchange
    const read = await this.#readTrusted(INQUIRY_PAYMENT_PATH, orderNo, exchange)
    return 'kind' in read ? read : classifyInquiryResponse(exchange.status, read.body)
  }

  /**
   * Asks Alipay+ to cancel the payment: an unpaid one is closed, a paid one (even one paid after
   * the cancel) refunded in full. Only `cancelled` (result S) means the payment will not stand.
   */
  cancel(paymentRequestId: string, options: { signal?: AbortSignal } = {}): Promise<CancelOutcome> {
    return traceCall(this, 'cancelPayment', paymentRequestId, () => this.#cancel(paymentRequestId, options))
  }

  async #cancel(paymentRequestId: string, options: { signal?: AbortSignal }): Promise<CancelOutcome> {
    const exchange = await this.#post(this.#cancelEndpoint, CANCEL_PAYMENT_PATH, paymentRequestId, options.signal)
    if (!('raw' in exchange)) return exchange
    const read = await this.#readTrusted(CANCEL_PAYMENT_PATH, paymentRequestId, exchange)
    return 'kind' in read ? read : classifyCancelResponse(exchange.status, read.body)
  }

  /** One signed POST of {"paymentRequestId": ...}; a timeout or network error is a retry. */
  async #post(url: URL, apiPath: string, paymentRequestId: string, signal: AbortSignal | undefined): Promise<Exchange | RetryOutcome> {
    if (this.#closing.signal.aborted) throw new InquiryClientClosedError()
    signal?.throwIfAborted()
    const { clientId, privateKey, keyVersion, requestTimeoutMs } = this.#options
    const body = JSON.stringify({ paymentRequestId })
    const headers = await signMessage({
      path: apiPath,
      clientId,
      time: nowRequestTime(),
      body,
      privateKey,
      keyVersion,
      timeHeader: 'Request-Time',
    })

    // One controller per call, linked to the caller's signal and to close() by listeners that
    // are removed when the call ends. AbortSignal.any() with the client's long-lived closing
    // signal would leave an entry behind per call on Node 20 (nodejs/node#55351).
    const controller = new AbortController()
    const abort = () => controller.abort()
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      controller.abort()
    }, requestTimeoutMs)
    const closing = this.#closing.signal
    closing.addEventListener('abort', abort)
    signal?.addEventListener('abort', abort)
    try {
      // Alipay+ never redirects; following one would turn the POST into a GET elsewhere.
      const response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: controller.signal })
      return { status: response.status, headers: response.headers, raw: Buffer.from(await response.arrayBuffer()) }
    } catch (error) {
      if (signal?.aborted) throw signal.reason
      if (closing.aborted) throw new InquiryClientClosedError()
      if (timedOut) return { kind: 'retry', reason: 'timeout', message: `no answer within ${requestTimeoutMs} ms` }
      return { kind: 'retry', reason: 'network', message: describeNetworkError(error) }
    } finally {
      clearTimeout(timer)
      closing.removeEventListener('abort', abort)
      signal?.removeEventListener('abort', abort)
    }
  }

  /**
   * The answer's body once its signature holds, or a setup error when it cannot be trusted.
   * `body` is undefined when only the HTTP status may be read.
   */
  async #readTrusted(apiPath: string, paymentRequestId: string, exchange: Exchange): Promise<{ body: unknown } | SetupErrorOutcome> {
    const { status, headers, raw } = exchange
    if (headers.has('signature')) {
      const verified = await verifyMessage({
        path: apiPath,
        headers,
        body: raw,
        publicKeys: this.#options.alipayPublicKeys,
        timeHeader: 'Response-Time',
        fallbackClientId: this.#options.clientId,
      })
      if (!verified.ok) return untrusted(`the response signature failed verification (${verified.reason})`, status)
    } else if (!this.#options.acceptUnsignedInquiryResponses) {
      // A gateway or proxy error page (5xx, 429, 408, a 404 for a wrong path) is never signed:
      // it is read from its status alone, its body ignored. A 2xx is an answer about the
      // payment, and unsigned it may come from anyone: never a result.
      if (status < 200 || status >= 300) return { body: undefined }
      return untrusted('the response carries no Signature header', status)
    }
    // Bound to our request as far as the protocol allows: Alipay+ signs answers to every merchant
    // with one key, so an answer signed for another Client-Id (or about another payment) must
    // never pass for ours. (Response-Time is required above: it is part of the signed content.)
    const answeredTo = headers.get('client-id')
    if (answeredTo !== null && answeredTo !== '' && answeredTo !== this.#options.clientId) {
      return untrusted('the response is addressed to another Client-Id', status, 'CLIENT_ID_MISMATCH')
    }
    const body = parseJson(raw)
    const answeredFor = (body as { paymentRequestId?: unknown } | null | undefined)?.paymentRequestId
    if (answeredFor !== undefined && answeredFor !== null && answeredFor !== paymentRequestId) {
      return untrusted('the response is about another paymentRequestId', status, 'PAYMENT_REQUEST_ID_MISMATCH')
    }
    return { body }
  }

  /** Rejects calls in flight and later ones with InquiryClientClosedError. */
  close(): void {
    this.#closing.abort()
  }
}
