// The notifyPayment webhook. Order of trust, each step before the next:
//   1. the raw bytes, kept as received whatever the Content-Type (a catch-all Buffer parser,
//      bounded by bodyLimit);
//   2. the Alipay+ signature over those exact bytes and the signed path -> 401, nothing written;
//   3. the Client-Id, then the Request-Time window when one is set      -> 401, nothing written;
//   4. JSON syntax, then the JSON schema                                -> 400, nothing written;
//   5. the store: known order, amount check, atomic transition and audit event;
//   6. a signed answer, S only once the result is durably recorded (or already was).
// It lives in its own encapsulated context so its parser, validator and error handler never
// touch the application's other routes.
import { Ajv } from 'ajv'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AttentionAlerts } from '../attention/attention-alerts.js'
import { InvalidOrderNoError, UnknownOrderError } from '../errors.js'
import type { ResolvedOptions } from '../options.js'
import type { ResultHub } from '../polling/result-hub.js'
import { parseJson } from '../protocol/parse-json.js'
import { nowRequestTime, signMessage, verifyMessage } from '../protocol/signature.js'
import type { OrderStore } from '../store/order-store.js'
import type { FinalStatus } from '../store/prisma-types.js'
import { noteRecorded, traceNotifyRequests } from '../telemetry/notify-trace.js'
import { ACKNOWLEDGED, type AlipayResult, invalidClient, invalidRequest, invalidSignature, notRecorded, unknownOrder } from './answers.js'
import { type NotifyBody, notifyBodySchema, notifyResult } from './notify-body-schema.js'
import { checkRequestTime } from './request-time.js'

// No type coercion: a number where Alipay+ sends a string is a malformed message, not "100".
const ajv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false })

export interface NotifyRouteDeps {
  options: ResolvedOptions
  store: OrderStore
  hub: ResultHub
  alerts: AttentionAlerts
}

// The verified bytes of each request, as text: the audit event keeps the message exactly.
const rawText = new WeakMap<FastifyRequest, string>()

/** A value from the request, bounded for a log line. */
function bounded(value: string): string {
  return value.length > 128 ? `${value.slice(0, 128)}...` : value
}

export async function notifyRoute(app: FastifyInstance, deps: NotifyRouteDeps): Promise<void> {
  const { options, store, hub, alerts } = deps
  traceNotifyRequests(app, store)

  // Alipay+ signs the path of the notify URL we registered, never its query string. Behind a
  // proxy that rewrites that path, the signed one is the public one: notifySignedPath.
  const signedPath = (request: FastifyRequest): string => {
    if (options.notifySignedPath !== undefined) return options.notifySignedPath
    const query = request.url.indexOf('?')
    return query === -1 ? request.url : request.url.slice(0, query)
  }
  const acceptsClientId = (clientId: string): boolean =>
    options.notifyClientIds === '*' || options.notifyClientIds.has(clientId)

  // Answers to a message proven to come from Alipay+ are signed, as its docs require. Answers to
  // unproven requests (401/400/413) are not: signing them would let anyone spend our CPU.
  async function sendSigned(request: FastifyRequest, reply: FastifyReply, statusCode: number, body: AlipayResult) {
    const payload = JSON.stringify(body)
    const headers = await signMessage({
      path: signedPath(request),
      clientId: options.clientId,
      time: nowRequestTime(),
      body: payload,
      privateKey: options.privateKey,
      keyVersion: options.keyVersion,
      timeHeader: 'Response-Time',
    })
    return reply.code(statusCode).headers(headers).send(payload)
  }

  // The Content-Type is not signed and not needed: an empty one, which Fastify would refuse
  // with 415 before the signature is even checked, counts as none.
  app.addHook('onRequest', async (request) => {
    if (request.headers['content-type']?.trim() === '') delete request.raw.headers['content-type']
  })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.notifyBodyLimit }, (_request, body, done) => {
    done(null, body)
  })
  app.setValidatorCompiler(({ schema }) => ajv.compile(schema))

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const statusCode = error.statusCode ?? 500
    if (statusCode === 413) return reply.code(413).send(invalidRequest(`body larger than ${options.notifyBodyLimit} bytes`))
    if (statusCode >= 400 && statusCode < 500) {
      return reply.code(400).send(invalidRequest(error.validation ? `${error.message}` : error.message))
    }
    request.log.error({ err: error }, 'alipayplus notifyPayment failed')
    return reply.code(500).send(notRecorded())
  })

  app.post(
    options.notifyPath,
    {
      schema: { body: notifyBodySchema },
      preValidation: async (request, reply) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
        const verified = await verifyMessage({
          path: signedPath(request),
          headers: request.headers,
          body: raw,
          publicKeys: options.alipayPublicKeys,
          timeHeader: 'Request-Time',
        })
        if (!verified.ok) {
          request.log.warn({ reason: verified.reason }, 'alipayplus notifyPayment rejected: signature')
          return reply.code(401).send(invalidSignature(verified.reason))
        }
        // Signed by Alipay+, but for a Client-Id that is not ours (another merchant on the same
        // key, or sandbox traffic reaching production): not our notification.
        if (!acceptsClientId(verified.clientId)) {
          request.log.warn({ clientId: bounded(verified.clientId) }, 'alipayplus notifyPayment rejected: Client-Id not accepted')
          return reply.code(401).send(invalidClient())
        }
        if (options.requestTimeToleranceMs !== undefined) {
          const problem = checkRequestTime(verified.time, options.requestTimeToleranceMs)
          if (problem !== null) {
            request.log.warn({ reason: problem, requestTime: bounded(verified.time) }, 'alipayplus notifyPayment rejected: Request-Time')
            return reply.code(401).send(invalidSignature(problem))
          }
        }
        // The signature vouches for the bytes, whatever Content-Type came with them (none,
        // text/plain, application/json;charset=UTF-8, ...): they are read as JSON.
        const body = parseJson(raw)
        if (body === undefined) return reply.code(400).send(invalidRequest('body is not valid JSON'))
        rawText.set(request, raw.toString('utf8'))
        request.body = body
      },
    },
    async (request, reply) => {
      const body = request.body as NotifyBody
      const orderNo = body.paymentRequestId
      const reported = notifyResult(body, rawText.get(request) ?? '')
      let outcome
      try {
        outcome = await store.recordResult(reported)
        noteRecorded(request, outcome)
      } catch (error) {
        if (error instanceof UnknownOrderError) {
          request.log.warn({ orderNo }, 'alipayplus notifyPayment for an unknown order: asking Alipay+ to deliver again')
          return sendSigned(request, reply, 404, unknownOrder(orderNo))
        }
        // The schema refuses such an id already; should the two rules ever drift apart, this is
        // still the 400 of a bad request (the error handler's answer), never a 503 redelivered forever.
        if (error instanceof InvalidOrderNoError) throw error
        // Never acknowledge what is not durably recorded: Alipay+ will deliver it again.
        request.log.error({ err: error, orderNo }, 'alipayplus notifyPayment could not be recorded')
        return sendSigned(request, reply, 503, notRecorded())
      }

      // Both are logged and handed to onAttention (off the hot path); the answer is still S: the
      // message is durably recorded as an event, and delivering it again would change nothing.
      if (outcome.reason === 'amount_mismatch') {
        const expected = { currency: outcome.order.currency, value: outcome.order.amount }
        const message = 'alipayplus notifyPayment amount mismatch: order left init, event recorded; needs a human'
        alerts.raise(
          {
            kind: 'amount_mismatch',
            orderNo,
            source: 'notify',
            attention: null,
            message,
            expected,
            // The schema requires a well-formed amount on S, and a mismatch is only decided on S.
            received: { currency: reported.paymentAmount!.currency, value: reported.paymentAmount!.value },
            eventId: outcome.eventId,
          },
          { orderNo, expected, received: reported.paymentAmount },
          request.log,
        )
      } else if (outcome.reason === 'conflicting_result') {
        const message = 'alipayplus notifyPayment conflicts with the recorded final result: kept the first, event recorded; needs a human'
        alerts.raise(
          {
            kind: 'conflicting_result',
            orderNo,
            source: 'notify',
            attention: null,
            message,
            recorded: { status: outcome.order.status as FinalStatus, source: outcome.order.resultSource, resultCode: outcome.order.resultCode },
            received: { status: body.paymentResult.resultStatus === 'S' ? 'SUCCESS' : 'FAIL', resultCode: body.paymentResult.resultCode },
            eventId: outcome.eventId,
          },
          { orderNo, stored: outcome.order.status, storedSource: outcome.order.resultSource, received: body.paymentResult },
          request.log,
        )
      } else {
        hub.publish(outcome.order)
      }
      return sendSigned(request, reply, 200, ACKNOWLEDGED)
    },
  )
}
