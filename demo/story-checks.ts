// What the story claims, checked against the steps it told: each step happened, after the step
// it depends on, on the instance the story names. A reader follows the lines in this order; a
// run where they came otherwise fails (npm start exits non-zero).
import type { Check } from './scenario.js'
import type { Step, StepKind } from './story-steps.js'

/** Each step, and the step it must follow. */
const AFTER: Array<[StepKind, StepKind]> = [
  ['inquiry-in-process', 'order-created'],
  ['user-paid', 'inquiry-in-process'],
  ['notify-arrived', 'user-paid'],
  ['result-recorded', 'notify-arrived'],
  ['ack-sent', 'result-recorded'],
  ['ack-verified', 'ack-sent'],
  ['waiter-woke', 'result-recorded'],
  ['handler-ran', 'result-recorded'],
  ['delivered', 'handler-ran'],
]

export function checkStory(steps: Step[]): Check[] {
  const first = (kind: StepKind) => steps.findIndex((step) => step.kind === kind)
  const at = (kind: StepKind) => steps[first(kind)]
  const missing = AFTER.flatMap((pair) => pair).filter((kind, i, all) => all.indexOf(kind) === i && first(kind) < 0)
  const outOfOrder = AFTER.filter(([kind, before]) => first(kind) >= 0 && first(before) >= 0 && first(kind) < first(before))
  const stopped = at('stopped')

  const waiter = at('order-created')?.facts.instance
  const notified = at('notify-arrived')?.facts.instance
  const recorded = at('result-recorded')?.facts
  const ack = at('ack-sent')?.facts
  const woke = at('waiter-woke')?.facts
  const runs = steps.filter((step) => step.kind === 'handler-ran')
  return [
    {
      name: 'every step of the story happened, in its order',
      ok: stopped === undefined && missing.length === 0 && outOfOrder.length === 0,
      detail: stopped?.text ?? (missing.length + outOfOrder.length === 0 ? `${steps.length} steps` : `missing: ${missing.join(', ') || 'none'}; out of order: ${outOfOrder.map(([a, b]) => `${a} before ${b}`).join(', ') || 'none'}`),
    },
    {
      name: 'the notification reached the other instance, which recorded it',
      ok: notified !== undefined && notified !== waiter && recorded?.instance === notified && recorded?.source === 'notify',
      detail: `waiter on ${waiter}, notification on ${notified}, recorded by ${recorded?.instance} from ${recorded?.source}`,
    },
    {
      name: 'Alipay+ accepted the signed acknowledgement',
      ok: ack?.statusCode === 200 && ack.answer === 'S' && ack.outcome === 'recorded' && at('ack-verified')?.facts.state === 'acknowledged',
      detail: `answer ${ack?.statusCode} ${ack?.answer} (${ack?.outcome}), ${at('ack-verified')?.facts.state}`,
    },
    {
      name: 'the waiter woke with the recorded result',
      ok: woke?.instance === waiter && woke?.status === recorded?.status && woke?.source === 'notify',
      detail: `${woke?.status} by ${woke?.source} on ${woke?.instance}`,
    },
    {
      name: 'onPaymentResult ran once',
      ok: runs.length === 1 && runs[0]!.facts.attempt === 1,
      detail: `${runs.length} run(s)${runs.length > 0 ? ` on ${runs.map((run) => run.who).join(', ')}` : ''}`,
    },
  ]
}
