// The diagnostics channels, as any subscriber sees them: a notification, an inquiry, a
// reconcile pass and the deliveries they lead to publish their events in order, each message
// carrying its orderNo, outcome and error.
import diagnostics from 'node:diagnostics_channel'
import t from 'tap'
import { needsServer } from '../helpers/databases.js'
import { FAST_DELIVERY } from '../helpers/delivery.js'
import { buildWorld, until } from '../helpers/world.js'

const TRACED = ['notify', 'inquiry', 'deliver', 'reconcile'] as const
const EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const

interface Seen {
  name: string
  message: Record<string, unknown>
  /** The message's fields at the moment it was published (the message itself is updated later). */
  at: Record<string, unknown>
}

t.test('notify, inquiry, reconcile, transition, deliver and wakeup publish in order', await needsServer('postgresql'), async (t) => {
  const seen: Seen[] = []
  const record = (name: string) => (message: unknown) => {
    const fields = message as Record<string, unknown>
    seen.push({ name, message: fields, at: { ...fields } })
  }
  const unsubscribe: Array<() => void> = []
  for (const channel of TRACED) {
    for (const event of EVENTS) {
      const listener = record(`${channel}:${event}`)
      diagnostics.subscribe(`tracing:alipayplus:${channel}:${event}`, listener)
      unsubscribe.push(() => diagnostics.unsubscribe(`tracing:alipayplus:${channel}:${event}`, listener))
    }
  }
  for (const channel of ['transition', 'wakeup']) {
    const listener = record(channel)
    diagnostics.subscribe(`alipayplus:${channel}`, listener)
    unsubscribe.push(() => diagnostics.unsubscribe(`alipayplus:${channel}`, listener))
  }
  t.teardown(() => {
    for (const stop of unsubscribe) stop()
  })

  let failOnce = true
  const world = await buildWorld(t, {
    app: ({ url }) => ({
      wakeup: { postgres: url!, channel: `t_channels_${process.pid}` },
      reconcile: { intervalMs: 3_600_000, minAgeMs: 0, batchSize: 100, maxAgeMs: 3_600_000 },
      delivery: FAST_DELIVERY,
      onPaymentResult: (result) => {
        if (result.orderNo === 'by-notify' && failOnce) {
          failOnce = false
          throw new Error('downstream refused')
        }
      },
    }),
  })
  const { app, sim, store } = world
  const of = (orderNo: string) => seen.filter((s) => s.message.orderNo === orderNo).map((s) => s.name)
  const delivered = (orderNo: string) => until(async () => (await store.getOrder(orderNo))?.deliveredAt != null)

  t.match(seen.filter((s) => s.name === 'wakeup').map((s) => s.at), [{ event: 'connect', kind: 'postgres' }], 'the channel connected')

  // The reconciler's pass at start (minAgeMs 0) could otherwise pick the order up and inquire.
  await app.alipayplus.reconcileNow()
  await world.order('by-notify')
  sim.completePayment('by-notify', { status: 'SUCCESS' })
  await delivered('by-notify')
  // The delivery runs off the request path, beside the signed answer: the request's own end and
  // the first run may come in either order, so each is checked in its own sequence.
  const events = of('by-notify')
  const isDeliver = (name: string) => name.startsWith('deliver:')
  t.same(
    events.filter((name) => !isDeliver(name)),
    ['notify:start', 'notify:end', 'transition', 'notify:asyncStart', 'notify:asyncEnd'],
    'a notification and its transition',
  )
  t.same(
    events.filter(isDeliver),
    [
      'deliver:start', 'deliver:end', 'deliver:error', 'deliver:asyncStart', 'deliver:asyncEnd',
      'deliver:start', 'deliver:end', 'deliver:asyncStart', 'deliver:asyncEnd',
    ],
    'a failed run and its retry',
  )
  t.ok(events.indexOf('transition') < events.indexOf('deliver:start'), 'delivery starts after the transition')
  const notified = seen.find((s) => s.name === 'notify:asyncEnd' && s.message.orderNo === 'by-notify')
  t.match(notified?.message, { statusCode: 200, answer: 'S', resultCode: 'SUCCESS', outcome: 'recorded' })
  t.match(seen.find((s) => s.name === 'transition' && s.message.orderNo === 'by-notify')?.message, { status: 'SUCCESS', source: 'notify' })
  const runs = seen.filter((s) => s.name === 'deliver:asyncEnd' && s.message.orderNo === 'by-notify').map((s) => s.message)
  t.match(runs, [{ attempt: 1, status: 'SUCCESS', error: { message: 'downstream refused' } }, { attempt: 2 }])
  t.notOk('error' in runs[1]!, 'the retry succeeded')

  await world.order('by-inquiry')
  sim.completePayment('by-inquiry', { status: 'FAIL', notify: false })
  await app.awaitPaymentResult('by-inquiry')
  await delivered('by-inquiry')
  t.same(of('by-inquiry'), [
    'inquiry:start', 'inquiry:end', 'inquiry:asyncStart', 'inquiry:asyncEnd', 'transition',
    'deliver:start', 'deliver:end', 'deliver:asyncStart', 'deliver:asyncEnd',
  ])
  t.match(seen.find((s) => s.name === 'inquiry:asyncEnd' && s.message.orderNo === 'by-inquiry')?.message, {
    operation: 'inquiryPayment',
    result: { kind: 'final', status: 'FAIL' },
  })

  // A pass of the reconciler that finds an order left init.
  await world.order('by-reconcile')
  sim.completePayment('by-reconcile', { status: 'SUCCESS', notify: false })
  const passes = () => seen.filter((s) => s.name.startsWith('reconcile:'))
  const before = passes().length
  t.equal(await app.alipayplus.reconcileNow(), 1)
  t.same(passes().slice(before).map((s) => s.name), ['reconcile:start', 'reconcile:end', 'reconcile:asyncStart', 'reconcile:asyncEnd'])
  t.equal(passes().at(-1)?.message.result, 1, 'the pass says how many orders it started polling')
  await delivered('by-reconcile')
  t.same(of('by-reconcile').slice(0, 5), ['inquiry:start', 'inquiry:end', 'inquiry:asyncStart', 'inquiry:asyncEnd', 'transition'])

  // A cancel is an inquiry-channel call too, with its operation.
  await world.order('to-cancel')
  await app.alipayplus.inquiryClient.cancel('to-cancel')
  t.match(seen.find((s) => s.name === 'inquiry:asyncEnd' && s.message.orderNo === 'to-cancel')?.message, {
    operation: 'cancelPayment',
    result: { kind: 'cancelled' },
  })
  t.match(seen.find((s) => s.name === 'inquiry:start' && s.message.orderNo === 'to-cancel')?.at, { operation: 'cancelPayment' })
  t.notOk('result' in (seen.find((s) => s.name === 'inquiry:start' && s.message.orderNo === 'to-cancel')?.at ?? {}), 'no result at start')
})
