// POST /aps/api/v1/payments/inquiryPayment as Alipay+ answers it: the merchant's signature is
// checked on the raw body, every JSON answer is signed (Response-Time), and faults are rolled
// in the order a real gateway would hit them: transport, authentication, load, business.
import type { KeyObject } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyPluginAsync } from 'fastify'
import { INQUIRY_PAYMENT_PATH } from '../protocol/inquiry-client.js'
import { parseJson } from '../protocol/parse-json.js'
import { verifyMessage } from '../protocol/signature.js'
import type { FaultDice, Faults } from './faults.js'
import type { Identity } from './notifier.js'
import { lookupPayment } from './lookup-payment.js'
import { signAnswer } from './sign-answer.js'
import { paymentFields } from './payment-fields.js'
import type { PaymentBook, SimPayment } from './payments.js'
import type { InquiryAnswerKind, InquiryArrival, InquiryStats } from './stats.js'

export interface InquiryRouteContext {
  clientId: string
  /** The Client-Ids whose calls are accepted. */
  callerClientIds: ReadonlySet<string>
  keyVersion: string
  alipayPrivateKey: KeyObject
  merchantPublicKeys: KeyObject[]
  payments: PaymentBook
  identity: Identity
  faultsFor: (payment?: SimPayment) => Faults
  dice: FaultDice
  stats: InquiryStats
  /** Aborted by close(), so that slow answers do not hold the process open. */
  closing: AbortSignal
}

interface Answer {
  kind: InquiryAnswerKind
  body: Record<string, unknown>
}

const SUCCESS_RESULT = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'Success' }

function resultOnly(kind: InquiryAnswerKind, resultCode: string, resultStatus: 'F' | 'U', resultMessage: string): Answer {
  return { kind, body: { result: { resultCode, resultStatus, resultMessage } } }
}

function paymentAnswer(payment: SimPayment, identity: Identity, reportFinal: boolean): Answer {
  const final = reportFinal && payment.status !== 'PROCESSING'
  const success = final && payment.status === 'SUCCESS'
  const paymentResult = final
    ? { resultCode: payment.resultCode, resultStatus: success ? 'S' : 'F', resultMessage: payment.resultMessage }
    : { resultCode: 'PAYMENT_IN_PROCESS', resultStatus: 'U', resultMessage: 'The payment is in process.' }
  return {
    kind: !final ? 'in_process' : success ? 'success' : 'fail',
    body: { result: SUCCESS_RESULT, paymentResult, ...paymentFields(payment, identity, success) },
  }
}

/** A man in the middle's edit: flips the payment's status, or rewrites the message. */
function tamper(body: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(body) as { result: { resultMessage?: string }; paymentResult?: { resultStatus: string } }
  if (copy.paymentResult) copy.paymentResult.resultStatus = copy.paymentResult.resultStatus === 'S' ? 'F' : 'S'
  else copy.result.resultMessage = `${copy.result.resultMessage ?? ''} (altered)`
  return copy
}

async function waited(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal })
    return true
  } catch {
    return false
  }
}

async function decide(
  ctx: InquiryRouteContext,
  headers: Record<string, string | string[] | undefined>,
  raw: Buffer,
  id: string | undefined,
  payment: SimPayment | undefined,
  faults: Faults,
): Promise<Answer> {
  if (!ctx.callerClientIds.has(String(headers['client-id']))) {
    return resultOnly('invalid_client', 'INVALID_CLIENT', 'F', 'The client is invalid.')
  }
  const verified = await verifyMessage({ path: INQUIRY_PAYMENT_PATH, headers, body: raw, publicKeys: ctx.merchantPublicKeys, timeHeader: 'Request-Time' })
  if (!verified.ok) return resultOnly('invalid_signature', 'INVALID_SIGNATURE', 'F', 'The signature is invalid.')
  if (id === undefined) {
    return resultOnly('param_illegal', 'PARAM_ILLEGAL', 'F', 'Illegal parameters: paymentRequestId or paymentId is required.')
  }
  if (ctx.dice.chance(faults.inquiryTrafficLimitRate)) {
    return resultOnly('traffic_limit', 'REQUEST_TRAFFIC_EXCEED_LIMIT', 'U', 'The request traffic exceeds the limit.')
  }
  if (ctx.dice.chance(faults.inquiryUnknownRate)) {
    return resultOnly('unknown_exception', 'UNKNOWN_EXCEPTION', 'U', 'An API call failed for an unknown reason.')
  }
  if (payment === undefined) return resultOnly('order_not_exist', 'ORDER_NOT_EXIST', 'F', 'The order does not exist.')
  if (payment.status === 'PROCESSING') return paymentAnswer(payment, ctx.identity, false)

  // A final payment may still look in process for a while, as a lagging read model would.
  const lagging = payment.inquiriesSinceFinal < faults.inquiryInProcessFirstN || ctx.dice.chance(faults.inquiryInProcessRate)
  payment.inquiriesSinceFinal += 1
  const answer = paymentAnswer(payment, ctx.identity, !lagging)
  if (answer.kind === 'success' && ctx.dice.chance(faults.inquiryNoAmountRate)) delete answer.body.paymentAmount
  return answer
}

export function inquiryRoute(ctx: InquiryRouteContext): FastifyPluginAsync {
  return async (scope) => {
    // The signature covers the exact bytes, so the body stays a Buffer until checked.
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

    scope.post(INQUIRY_PAYMENT_PATH, async (request, reply) => {
      ctx.stats.begin()
      let arrival: InquiryArrival | undefined
      try {
        // An empty body reaches the handler as undefined; it is then simply an unsigned empty message.
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
        const { id, payment } = lookupPayment(parseJson(raw), ctx.payments)
        const clientId = request.headers['client-id']
        if (id !== undefined) arrival = ctx.stats.forPayment(id, typeof clientId === 'string' ? clientId : undefined)
        const faults = ctx.faultsFor(payment)

        if (faults.inquirySlowMs > 0 && !(await waited(faults.inquirySlowMs, ctx.closing))) {
          ctx.stats.answered('aborted')
          return reply.code(503).send()
        }
        if (ctx.dice.chance(faults.inquiry5xxRate)) {
          ctx.stats.answered('http_5xx')
          const status = ctx.dice.chance(0.5) ? 502 : 503
          return reply.code(status).type('text/html').send(`<html><body>${status}</body></html>`)
        }

        const call = payment === undefined ? 0 : payment.inquiryCalls++
        const answer = await decide(ctx, request.headers, raw, id, payment, faults)
        const body = JSON.stringify(answer.body)
        const headers = await signAnswer(ctx, INQUIRY_PAYMENT_PATH, request.headers, body, ctx.dice.chance(faults.answerOtherClientIdRate))
        ctx.stats.answered(answer.kind)
        let sent = body
        if (call < faults.inquiryTamperFirstN || ctx.dice.chance(faults.inquiryTamperRate)) {
          ctx.stats.tampered()
          sent = JSON.stringify(tamper(answer.body))
        }
        return reply.code(200).headers(headers).send(sent)
      } finally {
        if (arrival) arrival.answeredAt = Date.now()
        ctx.stats.end()
      }
    })
  }
}
