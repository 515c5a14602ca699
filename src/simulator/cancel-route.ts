// POST /aps/api/v1/payments/cancelPayment as Alipay+ answers it: the merchant's signature is
// checked on the raw body, every answer is signed (Response-Time). An accepted cancel closes an
// unpaid payment or refunds a paid one (PaymentBook.cancel); the U and F faults cancel nothing;
// a lost answer (cancelAnswerLostFirstN) cancels, then never answers.
import type { KeyObject } from 'node:crypto'
import type { Socket } from 'node:net'
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
  /** Aborted when the simulator closes: lost answers stop waiting. */
  closing: AbortSignal
  /** The connections of lost answers being held (AlipayPlusSimulator.dropLostAnswers). */
  held: Set<Socket>
}

/** What the route does: answer, or (a lost answer) hold the connection without a word. */
interface Decision {
  body: Record<string, unknown>
  lost?: true
  /** The payment's faults, once the request named a payment. */
  faults?: Faults
}

function resultOnly(resultCode: string, resultStatus: 'S' | 'F' | 'U', resultMessage: string): Record<string, unknown> {
  return { result: { resultCode, resultStatus, resultMessage } }
}

async function decide(ctx: CancelRouteContext, headers: Record<string, string | string[] | undefined>, raw: Buffer): Promise<Decision> {
  if (!ctx.callerClientIds.has(String(headers['client-id']))) return { body: resultOnly('INVALID_CLIENT', 'F', 'The client is invalid.') }
  const verified = await verifyMessage({ path: CANCEL_PAYMENT_PATH, headers, body: raw, publicKeys: ctx.merchantPublicKeys, timeHeader: 'Request-Time' })
  if (!verified.ok) return { body: resultOnly('INVALID_SIGNATURE', 'F', 'The signature is invalid.') }
  const { id, payment } = lookupPayment(parseJson(raw), ctx.payments)
  const faults = ctx.faultsFor(payment)
  if (id === undefined) return { body: resultOnly('PARAM_ILLEGAL', 'F', 'Illegal parameters: paymentRequestId or paymentId is required.'), faults }
  const call = payment === undefined ? 0 : payment.cancelCalls++
  const lost = payment !== undefined && call < faults.cancelAnswerLostFirstN
  if (!lost && (call < faults.cancelUnknownFirstN || ctx.dice.chance(faults.cancelUnknownRate))) {
    return { body: resultOnly('UNKNOWN_EXCEPTION', 'U', 'An API call failed for an unknown reason.'), faults }
  }
  if (!lost && ctx.dice.chance(faults.cancelFailRate)) return { body: resultOnly('PROCESS_FAIL', 'F', 'A general business failure occurred.'), faults }
  if (payment === undefined) return { body: resultOnly('ORDER_NOT_EXIST', 'F', 'The order does not exist.'), faults }
  const cancelled = ctx.payments.cancel(payment.paymentRequestId)
  const body = {
    ...resultOnly('SUCCESS', 'S', 'Success'),
    paymentRequestId: cancelled.paymentRequestId,
    paymentId: cancelled.paymentId,
    cancelTime: new Date().toISOString(),
  }
  return lost ? { body, lost, faults } : { body, faults }
}

/** Resolves when the caller has gone (closed its connection), or it was dropped, or the simulator closes. */
function callerGone(socket: Socket, closing: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || closing.aborted) return resolve()
    socket.once('close', () => resolve())
    closing.addEventListener('abort', () => resolve(), { once: true })
  })
}

export function cancelRoute(ctx: CancelRouteContext): FastifyPluginAsync {
  return async (scope) => {
    // The signature covers the exact bytes, so the body stays a Buffer until checked.
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

    scope.post(CANCEL_PAYMENT_PATH, async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
      const decision = await decide(ctx, request.headers, raw)
      if (decision.lost) {
        // Executed, never answered: the connection is held until the caller gives up, then dropped.
        reply.hijack()
        const socket = request.raw.socket
        ctx.held.add(socket)
        await callerGone(socket, ctx.closing)
        ctx.held.delete(socket)
        socket.destroy()
        return reply
      }
      const body = JSON.stringify(decision.body)
      const otherClient = ctx.dice.chance((decision.faults ?? ctx.faultsFor()).answerOtherClientIdRate)
      const headers = await signAnswer(ctx, CANCEL_PAYMENT_PATH, request.headers, body, otherClient)
      return reply.code(200).headers(headers).send(body)
    })
  }
}
