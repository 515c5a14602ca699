// Crash anywhere, lose nothing: recordResult is run with a client that stops for good right
// after its k-th statement (as a killed process would: that statement committed, nothing
// after it ran), for every k. Then a restarted store receives the same message again, as
// Alipay+'s redelivery or the next inquiry would bring it. After the stop, a final order always
// names an event that holds the message that decided it; after the restart, every order is
// final exactly once and every other event says why it did not apply.
import t from 'tap'
import { OrderStore, type PaymentResultInput } from '../../src/store/order-store.js'
import { audit } from '../helpers/audit.js'
import { forEachBackend } from '../helpers/databases.js'

class Stopped extends Error {}

interface Delegates {
  paymentOrder: object
  paymentEvent: object
}

/**
 * The client of a process that dies right after statement `stopAfter` (counted over every
 * model call). `between[n]` runs after statement n completes, before the next one: another
 * process's work slipped in between two of ours.
 */
function stoppingClient(prisma: Delegates, stopAfter: number, between: Record<number, () => Promise<unknown>> = {}) {
  let statements = 0
  let stopped = false
  const wrap = (delegate: object) =>
    new Proxy(delegate, {
      get(target, property) {
        const value = Reflect.get(target, property) as unknown
        if (typeof value !== 'function') return value
        return async (...args: unknown[]) => {
          if (stopped) throw new Stopped('the process is gone')
          const n = ++statements
          let result: unknown
          let failure: unknown
          try {
            result = await value.apply(target, args)
          } catch (error) {
            failure = error
          }
          await between[n]?.()
          if (n >= stopAfter) {
            stopped = true
            throw new Stopped(`stopped after statement ${n}`)
          }
          if (failure !== undefined) throw failure
          return result
        }
      },
    })
  return { paymentOrder: wrap(prisma.paymentOrder), paymentEvent: wrap(prisma.paymentEvent) }
}

const AMOUNT = { currency: 'USD', value: '100' }
const success = (orderNo: string): PaymentResultInput => ({
  orderNo,
  source: 'notify',
  status: 'SUCCESS',
  resultCode: 'SUCCESS',
  paymentId: `pay-${orderNo}`,
  paymentAmount: AMOUNT,
  payload: `{"paymentRequestId":"${orderNo}","paymentResult":{"resultStatus":"S"}}`,
})
const failure = (orderNo: string): PaymentResultInput => ({
  orderNo,
  source: 'inquiry',
  status: 'FAIL',
  resultCode: 'ORDER_IS_CLOSED',
  payload: `{"paymentRequestId":"${orderNo}","paymentResult":{"resultStatus":"F"}}`,
})

await forEachBackend(t, async (t, backend) => {
  const { prisma } = await backend.open(t)
  const store = OrderStore.fromClient(prisma)

  // A winning call is 2 statements (event, transition returning the order), 3 on MySQL, whose
  // transition cannot return it (event, transition, read); the transition is always the 2nd.
  // A losing call is 4 (event, lost transition, read winner, explain). Stops after up to 5
  // statements: a stop after the last one is the normal end, included as the control case.
  const transitionAt = 2
  const winning = backend.name === 'mysql' ? 3 : 2
  const losing = 4
  for (let stopAfter = 1; stopAfter <= 5; stopAfter++) {
    t.test(`the winning call stops after statement ${stopAfter}`, async (t) => {
      const orderNo = `crash-win-${stopAfter}`
      await store.createOrder({ orderNo, amount: AMOUNT })
      const dying = stoppingClient(prisma, stopAfter)
      const outcome = await OrderStore.fromClient(dying)
        .recordResult(success(orderNo))
        .catch((error: unknown) => error)
      t.equal(outcome instanceof Stopped, stopAfter <= winning, `stopped before it could answer (a stop after ${winning + 1} or later is past its end)`)

      const afterStop = await audit(prisma, [orderNo])
      t.same(afterStop.badFinalEvents, [], 'a final order names the event holding its message')
      t.equal(afterStop.orders[0]?.status, stopAfter < transitionAt ? 'init' : 'SUCCESS', 'final only once the transition ran')

      const again = await store.recordResult(success(orderNo))
      t.equal(again.order.status, 'SUCCESS', 'the redelivery finishes what was cut short')
      const late = await store.recordResult(failure(orderNo))
      t.same([late.applied, late.reason], [false, 'conflicting_result'])

      const afterRestart = await audit(prisma, [orderNo])
      t.same([afterRestart.leftInit, afterRestart.badFinalEvents, afterRestart.unexplained], [0, [], 0])
      t.equal(afterRestart.events.length, 2, 'the redelivered message shares its event: one row per distinct message')
      t.equal(afterRestart.deliveries, (afterStop.events.length === 1 ? 3 : 2), 'every delivery counted')
    })

    t.test(`a call that loses the race stops after statement ${stopAfter}`, async (t) => {
      const orderNo = `crash-lose-${stopAfter}`
      await store.createOrder({ orderNo, amount: AMOUNT })
      // Right after our event is written, before our transition, another process records FAIL.
      const dying = stoppingClient(prisma, stopAfter, { 1: () => store.recordResult(failure(orderNo)) })
      const outcome = await OrderStore.fromClient(dying)
        .recordResult(success(orderNo))
        .catch((error: unknown) => error)
      t.equal(outcome instanceof Stopped, stopAfter <= losing, `stopped before it could answer (a stop after ${losing + 1} is past its end)`)

      const afterStop = await audit(prisma, [orderNo])
      t.equal(afterStop.orders[0]?.status, 'FAIL', 'the first final result stands')
      t.same(afterStop.badFinalEvents, [])

      const again = await store.recordResult(success(orderNo))
      t.same([again.applied, again.reason, again.order.status], [false, 'conflicting_result', 'FAIL'])
      const afterRestart = await audit(prisma, [orderNo])
      t.same([afterRestart.badFinalEvents, afterRestart.unexplained], [[], 0], 'the stopped call\'s event now says why')
      const loser = afterRestart.events.find((event) => event.resultStatus === 'S')
      t.equal(loser?.reason, 'conflicting_result')
    })
  }
})
