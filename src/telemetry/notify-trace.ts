// The alipayplus:notify TracingChannel, from Fastify hooks of the notify route's own context:
// start (and end) when a request arrives, asyncStart and asyncEnd when its answer is sent, so
// that the answers given before the handler (401 signature, 400 schema, 413) count too. The
// answer is read back from the payload sent: every answer of the route is Alipay+'s result
// envelope as JSON text. Nothing of it runs without a subscriber.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { RecordOutcome } from '../store/order-store.js'
import { type NotifyMessage, notifyChannel, OWNER } from './channels.js'

const messages = new WeakMap<FastifyRequest, NotifyMessage>()

/** Registers the hooks on the notify route's context; `store` names the plugin instance. */
export function traceNotifyRequests(app: FastifyInstance, store: object): void {
  app.addHook('onRequest', async (request) => {
    if (!notifyChannel.hasSubscribers) return
    const message: NotifyMessage = { [OWNER]: store }
    messages.set(request, message)
    notifyChannel.start.publish(message)
    notifyChannel.end.publish(message)
  })
  app.addHook('onError', async (request, _reply, error) => {
    const message = messages.get(request)
    if (message !== undefined) message.error = error
  })
  app.addHook('onSend', async (request, reply, payload) => {
    const message = messages.get(request)
    if (message === undefined) return payload
    messages.delete(request)
    const body = request.body as { paymentRequestId?: unknown } | undefined
    // A parsed body passed the signature check; a Buffer is one that did not get that far.
    if (body !== undefined && !Buffer.isBuffer(body) && typeof body.paymentRequestId === 'string') message.orderNo = body.paymentRequestId
    message.statusCode = reply.statusCode
    const result = resultOf(payload)
    message.answer = result?.resultStatus ?? `${Math.floor(reply.statusCode / 100)}xx`
    if (result?.resultCode !== undefined) message.resultCode = result.resultCode
    if (message.error !== undefined) notifyChannel.error.publish(message)
    notifyChannel.asyncStart.publish(message)
    notifyChannel.asyncEnd.publish(message)
    return payload
  })
}

/** What the store made of a verified notification (read by subscribers on an S answer). */
export function noteRecorded(request: FastifyRequest, outcome: RecordOutcome): void {
  const message = messages.get(request)
  if (message !== undefined) message.outcome = outcome.applied ? 'recorded' : (outcome.reason ?? 'recorded')
}

function resultOf(payload: unknown): { resultStatus?: string; resultCode?: string } | undefined {
  if (typeof payload !== 'string') return undefined
  try {
    const result = (JSON.parse(payload) as { result?: { resultStatus?: unknown; resultCode?: unknown } } | null)?.result
    if (typeof result !== 'object' || result === null) return undefined
    return {
      ...(typeof result.resultStatus === 'string' ? { resultStatus: result.resultStatus } : {}),
      ...(typeof result.resultCode === 'string' ? { resultCode: result.resultCode } : {}),
    }
  } catch {
    return undefined
  }
}
