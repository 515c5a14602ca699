// The notifyPayment webhook. Order of trust, each step before the next:
//   1. the raw bytes, kept as received (a catch-all Buffer parser, bounded by bodyLimit);
//   2. the Alipay+ signature over those exact bytes          -> 401, nothing written;
//   3. content type, JSON syntax, then the JSON schema        -> 400, nothing written;
//   4. the store: known order, amount check, atomic transition and audit event;
//   5. a signed answer, S only once the result is durably recorded (or already was).
// It lives in its own encapsulated context so its parser, validator and error handler never
// touch the application's other routes.
import { Ajv } from 'ajv'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { InvalidOrderNoError, UnknownOrderError } from '../errors.js'
import type { ResolvedOptions } from '../options.js'
import type { ResultHub } from '../polling/result-hub.js'
import { parseJson } from '../protocol/parse-json.js'
import { nowRequestTime, signMessage, verifyMessage } from '../protocol/signature.js'
import type { OrderStore } from '../store/order-store.js'
import { ACKNOWLEDGED, type AlipayResult, invalidRequest, invalidSignature, notRecorded, unknownOrder } from './answers.js'
import { type NotifyBody, notifyBodySchema, notifyResult } from './notify-body-schema.js'

// No type coercion: a number where Alipay+ sends a string is a malformed message, not "100".
const ajv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false })

export interface NotifyRouteDeps {
  options: ResolvedOptions
  store: OrderStore
  hub: ResultHub
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType)
}

export async function notifyRoute(app: FastifyInstance, deps: NotifyRouteDeps): Promise<void> {
  const { options, store, hub } = deps

  // Answers to a message proven to come from Alipay+ are signed, as its docs require. Answers to
  // unproven requests (401/400/413) are not: signing them would let anyone spend our CPU.
  async function sendSigned(request: FastifyRequest, reply: FastifyReply, statusCode: number, body: AlipayResult) {
    const payload = JSON.stringify(body)
    const headers = await signMessage({
      path: request.url,
      clientId: options.clientId,
      time: nowRequestTime(),
      body: payload,
      privateKey: options.privateKey,
      keyVersion: options.keyVersion,
      timeHeader: 'Response-Time',
    })
    return reply.code(statusCode).headers(headers).send(payload)
  }

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
          path: request.url,
          headers: request.headers,
          body: raw,
          publicKeys: options.alipayPublicKeys,
          timeHeader: 'Request-Time',
        })
        if (!verified.ok) {
          request.log.warn({ reason: verified.reason }, 'alipayplus notifyPayment rejected: signature')
          return reply.code(401).send(invalidSignature(verified.reason))
        }
        if (!isJson(request.headers['content-type'])) {
          return reply.code(400).send(invalidRequest('Content-Type must be application/json'))
        }
        const body = parseJson(raw)
        if (body === undefined) return reply.code(400).send(invalidRequest('body is not valid JSON'))
        request.body = body
      },
    },
    async (request, reply) => {
      const body = request.body as NotifyBody
      const orderNo = body.paymentRequestId
      let outcome
      try {
        outcome = await store.recordResult(notifyResult(body))
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

      if (outcome.reason === 'amount_mismatch') {
        request.log.error(
          { orderNo, expected: { currency: outcome.order.currency, value: outcome.order.amount }, received: body.paymentAmount },
          'alipayplus notifyPayment amount mismatch: order left init, event recorded; needs a human',
        )
      } else {
        hub.publish(outcome.order)
      }
      return sendSigned(request, reply, 200, ACKNOWLEDGED)
    },
  )
}
