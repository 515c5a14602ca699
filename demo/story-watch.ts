// Listens to what the plugin publishes about one order on its diagnostics channels
// (docs/observability.md: alipayplus:inquiry, alipayplus:notify, alipayplus:transition) and to
// the demo's handlers, and turns each event into a step of the story as it happens. Each
// message carries the plugin object that published it (ownerOf): that names the instance.
import diagnostics from 'node:diagnostics_channel'
import { type InquiryMessage, type NotifyMessage, ownerOf, type TransitionMessage } from '../src/telemetry/channels.js'
import type { HandlerLog, HandlerRun } from './handler-log.js'
import type { StoryLog } from './story-steps.js'
import type { MerchantInstance } from './world.js'

const inquiry = diagnostics.tracingChannel<unknown, InquiryMessage>('alipayplus:inquiry')
const notify = diagnostics.tracingChannel<unknown, NotifyMessage>('alipayplus:notify')
const transition = diagnostics.channel('alipayplus:transition')

/** Starts watching `orderNo`; the returned function stops. */
export function watchOrder(orderNo: string, instances: MerchantInstance[], log: HandlerLog, story: StoryLog): () => void {
  const nameOf = (message: unknown) => {
    const owner = ownerOf(message)
    return instances.find((i) => i.app.alipayplus.store === owner || i.app.alipayplus.inquiryClient === owner)?.name ?? '?'
  }

  // asyncStart: the answer is in and read (message.result), before the caller acts on it.
  const onInquiryAnswer = (raw: unknown) => {
    const message = raw as InquiryMessage
    if (message.orderNo !== orderNo || message.operation !== 'inquiryPayment' || message.result === undefined) return
    const outcome = message.result
    const who = nameOf(message)
    if (outcome.kind === 'in_process') {
      const why = story.first('user-paid') ? "Alipay+'s inquiry lags its notification" : 'not paid yet'
      story.add('inquiry-in-process', who, `inquiryPayment answers U ${outcome.resultCode}: ${why}, ${who} keeps waiting`, { instance: who })
    } else {
      const code = 'resultCode' in outcome ? ` ${outcome.resultCode}` : ''
      story.add('inquiry-answered', who, `inquiryPayment answers ${outcome.kind}${code}`, { instance: who, outcome: outcome.kind })
    }
  }

  // start: the request arrived; its orderNo is known only once its signature is verified.
  // The story's payment is the only one in flight, so every notification now is about it.
  const onNotifyArrival = (raw: unknown) => {
    const who = nameOf(raw)
    story.add('notify-arrived', who, `notifyPayment arrives on ${who} (the front's turn)`, { instance: who })
  }
  // asyncEnd: the answer was sent.
  const onNotifyAnswer = (raw: unknown) => {
    const message = raw as NotifyMessage
    if (message.orderNo !== orderNo) return
    const who = nameOf(message)
    const answer = `${message.statusCode} ${message.answer} ${message.resultCode ?? ''}`.trim()
    story.add('ack-sent', who, `${who} answers ${answer}, signed with the merchant's key (${message.outcome ?? 'not recorded'})`, {
      instance: who,
      statusCode: message.statusCode,
      answer: message.answer,
      outcome: message.outcome,
    })
  }

  const onTransition = (raw: unknown) => {
    const message = raw as TransitionMessage
    if (message.orderNo !== orderNo) return
    const who = nameOf(message)
    story.add('result-recorded', who, `${who} verified the signature and records init -> ${message.status} (source ${message.source})`, {
      instance: who,
      status: message.status,
      source: message.source,
    })
  }

  const onRun = (run: HandlerRun) => {
    if (run.orderNo !== orderNo) return
    story.add('handler-ran', run.instance, `onPaymentResult runs on ${run.instance}: attempt ${run.attempt}, idempotency key ${run.idempotencyKey}`, {
      instance: run.instance,
      attempt: run.attempt,
    })
  }

  inquiry.asyncStart.subscribe(onInquiryAnswer)
  notify.start.subscribe(onNotifyArrival)
  notify.asyncEnd.subscribe(onNotifyAnswer)
  transition.subscribe(onTransition)
  log.watchers.add(onRun)
  return () => {
    inquiry.asyncStart.unsubscribe(onInquiryAnswer)
    notify.start.unsubscribe(onNotifyArrival)
    notify.asyncEnd.unsubscribe(onNotifyAnswer)
    transition.unsubscribe(onTransition)
    log.watchers.delete(onRun)
  }
}
