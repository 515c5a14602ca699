// Calls inquiryPayment and turns every possible answer, or the lack of one, into an
// InquiryOutcome. Only the caller's abort and close() reject: everything else is an outcome.
import type { KeyObject } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { InvalidOptionError } from '../errors.js'
import { MAX_TIMER_MS, TIMER_LIMIT_PROBLEM } from '../timer-limit.js'
import { InquiryClientClosedError } from './errors.js'
import { parseJson } from './parse-json.js'
import { classifyInquiryResponse, type InquiryOutcome, type SetupErrorOutcome } from './inquiry-outcome.js'
import { nowRequestTime, signMessage, verifyMessage } from './signature.js'

export const INQUIRY_PAYMENT_PATH = '/aps/api/v1/payments/inquiryPayment'

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

function inquiryEndpoint(gatewayUrl: string): URL {
  let gateway: URL
  try {
    gateway = new URL(gatewayUrl)
  } catch {
    throw new InvalidOptionError('gatewayUrl', 'must be an absolute http(s) URL')
  }
  if ((gateway.protocol !== 'https:' && gateway.protocol !== 'http:') || gateway.search !== '' || gateway.hash !== '') {
    throw new InvalidOptionError('gatewayUrl', 'must be an http(s) URL without query or fragment')
  }
  const prefix = gateway.pathname.replace(/\/+$/, '')
  return new URL(`${prefix}${INQUIRY_PAYMENT_PATH}`, gateway.origin)
}

function untrusted(resultMessage: string, httpStatus: number, resultCode = 'INVALID_RESPONSE_SIGNATURE'): SetupErrorOutcome {
  return { kind: 'setup_error', resultCode, resultMessage, httpStatus }
}

function describeNetworkError(error: unknown): string {
  // fetch reports "fetch failed" and puts the socket error (ECONNREFUSED, ...) in cause.
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : ''
  const message = error instanceof Error ? error.message : String(error)
  return detail ? `${message}: ${detail}` : message
}

export class InquiryClient {
  /** Where the request goes: the gateway URL, its path prefix included, then the API path. */
  readonly #endpoint: URL
  /**
   * What is signed (and what the answer is signed over): the API path alone. The SDKs send to
   * gatewayUrl + path but sign only path, so a prefix such as /sandbox, which a proxy in front
   * of Alipay+ strips, never enters the signature.
   */
  readonly #path = INQUIRY_PAYMENT_PATH
  readonly #options: InquiryClientOptions
  readonly #closing = new AbortController()

  constructor(options: InquiryClientOptions) {
    if (!Number.isInteger(options.requestTimeoutMs) || options.requestTimeoutMs <= 0) {
      throw new InvalidOptionError('requestTimeoutMs', 'must be a positive integer number of milliseconds')
    }
    if (options.requestTimeoutMs > MAX_TIMER_MS) throw new InvalidOptionError('requestTimeoutMs', TIMER_LIMIT_PROBLEM)
    this.#endpoint = inquiryEndpoint(options.gatewayUrl)
    this.#options = options
    // Every call in flight listens for close(): up to maxConcurrentInquiries at once is normal.
    setMaxListeners(0, this.#closing.signal)
  }

  async inquire(orderNo: string, options: { signal?: AbortSignal } = {}): Promise<InquiryOutcome> {
    if (this.#closing.signal.aborted) throw new InquiryClientClosedError()
    options.signal?.throwIfAborted()
    const { clientId, privateKey, keyVersion, requestTimeoutMs } = this.#options
    const body = JSON.stringify({ paymentRequestId: orderNo })
    const headers = await signMessage({
      path: this.#path,
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
    options.signal?.addEventListener('abort', abort)
    let status: number
    let responseHeaders: Headers
    let raw: Buffer
    try {
      // Alipay+ never redirects; following one would turn the POST into a GET elsewhere.
      const response = await fetch(this.#endpoint, { method: 'POST', headers, body, redirect: 'manual', signal: controller.signal })
      status = response.status
      responseHeaders = response.headers
      raw = Buffer.from(await response.arrayBuffer())
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason
      if (closing.aborted) throw new InquiryClientClosedError()
      if (timedOut) return { kind: 'retry', reason: 'timeout', message: `no answer within ${requestTimeoutMs} ms` }
      return { kind: 'retry', reason: 'network', message: describeNetworkError(error) }
    } finally {
      clearTimeout(timer)
      closing.removeEventListener('abort', abort)
      options.signal?.removeEventListener('abort', abort)
    }
    return this.#read(orderNo, status, responseHeaders, raw)
  }

  async #read(orderNo: string, status: number, headers: Headers, raw: Buffer): Promise<InquiryOutcome> {
    if (headers.has('signature')) {
      const verified = await verifyMessage({
        path: this.#path,
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
      if (status < 200 || status >= 300) return classifyInquiryResponse(status, undefined)
      return untrusted('the response carries no Signature header', status)
    }
    const body = parseJson(raw)
    const answeredFor = (body as { paymentRequestId?: unknown } | null | undefined)?.paymentRequestId
    if (typeof answeredFor === 'string' && answeredFor !== orderNo) {
      return untrusted('the response is about another paymentRequestId', status, 'PAYMENT_REQUEST_ID_MISMATCH')
    }
    return classifyInquiryResponse(status, body)
  }

  /** Rejects calls in flight and later ones with InquiryClientClosedError. */
  close(): void {
    this.#closing.abort()
  }
}
