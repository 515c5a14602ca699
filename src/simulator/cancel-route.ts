// POST /aps/api/v1/payments/cancelPayment as Alipay+ answers it: the merchant's signature is
// checked on the raw body, every answer is signed (Response-Time). An accepted cancel closes an
// unpaid payment or refunds a paid one (PaymentBook.cancel); the U and F faults cancel nothing.
import type { KeyObject } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import { CANCEL_PAYMENT_PATH } from '../protocol/inquiry-client.js'
import { parseJson } from '../protocol/parse-json.js'
import { verifyMessage } from '../protocol/signature.js'
import type { FaultDice, Faults } from './faults.js'
import { lookupPayment } from './lookup-payment.js'
import type { PaymentBook, SimPayment } from './payments.js'
import { signAnswer } from './sign-answer.js'

export interface CancelRouteContext {
  clientId: string
  /** The Client-Ids whose calls are accepted. */
  callerClientIds: ReadonlySet<string>
  keyVersion: string
  alipayPrivateKey: KeyObject
  merchantPublicKeys: KeyObject[]
  payments: PaymentBook
  faultsFor: (payment?: SimPayment) => Faults
  dice: FaultDice
}

function resultOnly(resultCode: string, resultStatus: 'S' | 'F' | 'U', resultMessage: string): Record<string, unknown> {
  return { result: { resultCode, resultStatus, resultMessage } }
}

async function decide(
  ctx: CancelRouteContext,
  headers: Record<string, string | string[] | undefined>,
  raw: Buffer,
): Promise<Record<string, unknown>> {
  if (!ctx.callerClientIds.has(String(headers['client-id']))) return resultOnly('INVALID_CLIENT', 'F', 'The client is invalid.')
  const verified = await verifyMessage({ path: CANCEL_PAYMENT_PATH, headers, body: raw, publicKeys: ctx.merchantPublicKeys, timeHeader: 'Request-Time' })
  if (!verified.ok) return resultOnly('INVALID_SIGNATURE', 'F', 'The signature is invalid.')
  const { id, payment } = lookupPayment(parseJson(raw), ctx.payments)
  if (id === undefined) return resultOnly('PARAM_ILLEGAL', 'F', 'Illegal parameters: paymentRequestId or paymentId is required.')
  const faults = ctx.faultsFor(payment)
  const unknownFirst = payment !== undefined && payment.cancelCalls++ < faults.cancelUnknownFirstN
  if (unknownFirst || ctx.dice.chance(faults.cancelUnknownRate)) return resultOnly('UNKNOWN_EXCEPTION', 'U', 'An API call failed for an unknown reason.')
  if (ctx.dice.chance(faults.cancelFailRate)) return resultOnly('PROCESS_FAIL', 'F', 'A general business failure occurred.')
  if (payment === undefined) return resultOnly('ORDER_NOT_EXIST', 'F', 'The order does not exist.')
  const cancelled = ctx.payments.cancel(payment.paymentRequestId)
  return {
    ...resultOnly('SUCCESS', 'S', 'Success'),
    paymentRequestId: cancelled.paymentRequestId,
    paymentId: cancelled.paymentId,
    cancelTime: new Date().toISOString(),
  }
}

export function cancelRoute(ctx: CancelRouteContext): FastifyPluginAsync {
  return async (scope) => {
    // The signature covers the exact bytes, so the body stays a Buffer until checked.
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

    scope.post(CANCEL_PAYMENT_PATH, async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
      const body = JSON.stringify(await decide(ctx, request.headers, raw))
      const headers = await signAnswer(ctx, CANCEL_PAYMENT_PATH, request.headers, body)
      return reply.code(200).headers(headers).send(body)
    })
  }
}
