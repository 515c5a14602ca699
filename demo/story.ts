// The story npm start tells first: one payment, step by step, across the two instances. B
// creates the order and waits for its result; the first inquiry finds the payment in process;
// then the user pays, and Alipay+'s notification goes through the round-robin front to A,
// which records it and acknowledges it; B's waiter wakes with the result A recorded, and
// onPaymentResult runs once. Each step is told when its event happens (story-watch.ts).
import { NO_FAULTS } from '../src/simulator/index.js'
import type { PaymentResult } from '../src/index.js'
import type { HandlerLog } from './handler-log.js'
import type { Check } from './scenario.js'
import { checkStory } from './story-checks.js'
import { type StepListener, StoryLog } from './story-steps.js'
import { watchOrder } from './story-watch.js'
import type { DemoWorld } from './world.js'

/** Inquiries after the payment that still answer in process: B's next polls span ~1.75 s. */
const INQUIRY_LAG = 3

/** Longer than the story ever takes: past it, the story reports what it saw and fails. */
const STORY_TIMEOUT_MS = 30_000

export interface StoryResult {
  orderNo: string
  steps: StoryLog['steps']
  checks: Check[]
  ok: boolean
}

export async function tellStory(world: DemoWorld, log: HandlerLog, onStep: StepListener): Promise<StoryResult> {
  const { sim, instances, db } = world
  // The waiter is on B: the front sends the demo's first notification to A.
  const waiter = instances[1]!
  const orderNo = `story-${Date.now().toString(36)}`
  const amount = { currency: 'USD', value: '1250' }
  const story = new StoryLog(onStep)
  const stopWatching = watchOrder(orderNo, instances, log, story)
  const timeout = AbortSignal.timeout(STORY_TIMEOUT_MS)
  try {
    const created = await fetch(`${waiter.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderNo, amount }),
      signal: timeout,
    })
    if (created.status !== 201) throw new Error(`POST /orders answered ${created.status}`)
    story.add('order-created', waiter.name, `order ${orderNo} created on ${waiter.name}: USD 12.50, init; the user opens the wallet`, {
      instance: waiter.name,
    })
    // None of the many-order run's faults for this one (lost or late notifications come later),
    // but Alipay+'s inquiry lags its notification by a few answers, as it may: B polls again
    // 0.25-0.5 s after its first answer, and on a busy machine the notification's way through
    // the front and A can take that long; then the story would show the inquiry path instead.
    sim.createPayment({ paymentRequestId: orderNo, amount, faults: { ...NO_FAULTS, inquiryInProcessFirstN: INQUIRY_LAG } })

    // The user pays once the merchant has seen the payment in process: then the notification
    // is the news, and the waiter on B learns it from A.
    let acknowledged: Promise<void> | undefined
    const unsubscribePay = payOnFirstInProcess(story, () => {
      sim.completePayment(orderNo, { status: 'SUCCESS' })
      story.add('user-paid', 'Alipay+', 'the user pays: Alipay+ sends notifyPayment to the one notify URL it knows, the front')
      acknowledged = sim.waitForDelivered(orderNo).then((state) => {
        story.add('ack-verified', 'Alipay+', `Alipay+ checks the answer's signature with the merchant's public key: ${state}, no redelivery`, { state })
      })
    })

    const answer = await fetch(`${waiter.url}/orders/${orderNo}/result`, { signal: timeout })
    unsubscribePay()
    const result = (await answer.json()) as PaymentResult
    story.add('waiter-woke', waiter.name, `the waiter on ${waiter.name} wakes: ${result.status} by ${result.source}, as recorded by another instance in the shared database`, {
      instance: waiter.name,
      status: result.status,
      source: result.source ?? undefined,
    })
    // The result may have come without the user paying in this story (then the checks say so).
    if (acknowledged !== undefined) await Promise.race([acknowledged, aborted(timeout)])
    await untilDelivered(db.prisma, orderNo, timeout)
    story.add('delivered', 'database', 'the order is marked delivered: onPaymentResult will not run again')
  } catch (error) {
    story.add('stopped', 'demo', `the story stopped: ${error instanceof Error ? error.message : String(error)}`)
  } finally {
    stopWatching()
  }
  const checks = checkStory(story.steps)
  return { orderNo, steps: story.steps, checks, ok: checks.every((check) => check.ok) }
}

/** Calls `pay` once, at the first in-process answer the story tells; returns an unsubscribe. */
function payOnFirstInProcess(story: StoryLog, pay: () => void): () => void {
  let paid = false
  return story.watch((step) => {
    if (paid || step.kind !== 'inquiry-in-process') return
    paid = true
    // After the step is told, so that the lines read in their real order.
    queueMicrotask(pay)
  })
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new Error('timed out'))
    if (signal.aborted) fail()
    else signal.addEventListener('abort', fail, { once: true })
  })
}

async function untilDelivered(prisma: DemoWorld['db']['prisma'], orderNo: string, signal: AbortSignal): Promise<void> {
  for (;;) {
    const order = await prisma.paymentOrder.findUnique({ where: { orderNo }, select: { deliveredAt: true } })
    if (order?.deliveredAt) return
    signal.throwIfAborted()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
