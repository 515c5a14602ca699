// OpenTelemetry, as an application with the SDK registered sees it: after a notification, an
// inquiry, a cancel, and a delivery that fails once then succeeds, every metric and span of
// docs/observability.md is there with its attributes, no metric carries an orderNo, the
// handler's own spans nest in the delivery's, and the notify request's span carries the answer.
// Disabled, nothing is recorded.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api'
import t from 'tap'
import { needsServer } from '../helpers/databases.js'
import { FAST_DELIVERY } from '../helpers/delivery.js'
import { notifyBody, signedNotify } from '../helpers/notify-request.js'
import { otelSdk, pointsOf, total } from '../helpers/otel.js'
import { alipayKeys, buildWorld, until } from '../helpers/world.js'

const PG = await needsServer('postgresql')

/** What an HTTP server instrumentation does: every request handled inside a span of its own. */
function instrumentServer(server: Server, tracer: Tracer): void {
  const [handle] = server.listeners('request') as Array<(...args: unknown[]) => void>
  server.removeAllListeners('request')
  server.on('request', (request, response) => {
    const span = tracer.startSpan(`${request.method} ${request.url}`)
    response.on('finish', () => span.end())
    context.with(trace.setSpan(context.active(), span), () => handle!.call(server, request, response))
  })
}

t.test('metrics and spans after a notify, an inquiry, a cancel, a failed delivery and its retry', PG, async (t) => {
  const sdk = otelSdk()
  t.teardown(() => sdk.shutdown())
  const merchantTracer = sdk.tracerProvider.getTracer('merchant')
  const world = await buildWorld(t, {
    app: {
      openTelemetry: { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider },
      delivery: FAST_DELIVERY,
      onPaymentResult: (result, { attempt }) =>
        // The application's own span: it must nest in "alipayplus deliver".
        merchantTracer.startActiveSpan('merchant handler', (span) => {
          span.end()
          if (result.orderNo === 'notified' && attempt === 1) throw new Error('downstream refused')
        }),
    },
  })
  const { app, sim, store } = world
  instrumentServer(app.server, sdk.tracerProvider.getTracer('http'))

  // A notification over HTTP from the simulator, and an inquiry that finds the result.
  await world.order('notified')
  sim.completePayment('notified', { status: 'SUCCESS' })
  await world.order('inquired')
  sim.completePayment('inquired', { status: 'FAIL', notify: false })
  t.match(await app.awaitPaymentResult('inquired'), { status: 'FAIL', source: 'inquiry' })
  await until(async () => (await store.getOrder('notified'))?.deliveredAt != null && (await store.getOrder('inquired'))?.deliveredAt != null)
  // A cancel, and a notification of our own over HTTP.
  await world.order('cancelled')
  t.equal((await app.alipayplus.inquiryClient.cancel('cancelled')).kind, 'cancelled')
  await world.order('posted')
  const notify = await signedNotify(alipayKeys.privateKey, notifyBody('posted'))
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}${notify.url}`
  t.equal((await fetch(url, { method: 'POST', headers: notify.headers, body: notify.payload })).status, 200)
  const forged = await signedNotify(alipayKeys.privateKey, notifyBody('posted'))
  t.equal((await app.inject({ ...forged, payload: forged.payload.replace('"100"', '"1"') })).statusCode, 401)

  // An order polled right now, for the gauge.
  await world.order('polled')
  const polled = app.awaitPaymentResult('polled')
  await until(async () => total((await sdk.metrics()).get('alipayplus.polling.active')) === 1)
  sim.completePayment('polled', { status: 'SUCCESS', notify: false })
  await polled
  const finals = ['notified', 'inquired', 'posted', 'polled']
  await until(async () => (await Promise.all(finals.map((orderNo) => store.getOrder(orderNo)))).every((order) => order?.deliveredAt != null))

  let metrics = await sdk.metrics()
  const notifications = metrics.get('alipayplus.notifications')
  t.ok(total(notifications, { 'alipayplus.answer': 'S', 'alipayplus.reason': 'recorded' }) >= 2, 'S answers that decided their order')
  t.equal(total(notifications, { 'alipayplus.answer': 'F', 'alipayplus.reason': 'INVALID_SIGNATURE' }), 1, 'the forged one')

  const calls = metrics.get('alipayplus.client.operation.duration')
  t.equal(calls?.descriptor.unit, 's')
  t.ok(total(calls, { 'alipayplus.operation': 'inquiryPayment', 'alipayplus.outcome': 'final' }) >= 2, 'inquiries that found a final result')
  t.equal(total(calls, { 'alipayplus.operation': 'cancelPayment', 'alipayplus.outcome': 'cancelled' }), 1)
  t.same(pointsOf(calls, { 'alipayplus.outcome': 'final' }).map((p) => p.attributes['error.type']), [undefined], 'no error.type on success')

  const results = metrics.get('alipayplus.payment.results')
  t.ok(total(results, { 'alipayplus.status': 'SUCCESS', 'alipayplus.source': 'notify' }) >= 2)
  t.equal(total(results, { 'alipayplus.status': 'FAIL', 'alipayplus.source': 'inquiry' }), 1)
  t.equal(total(metrics.get('alipayplus.payment.finalization.duration')), total(results), 'one finalization duration per result')
  t.equal(metrics.get('alipayplus.payment.finalization.duration')?.descriptor.unit, 's')

  t.equal(total(metrics.get('alipayplus.delivery.lag')), finals.length, 'lag: the first run of each result')
  const runs = metrics.get('alipayplus.delivery.duration')
  t.equal(total(runs, { 'alipayplus.outcome': 'failed', 'error.type': 'Error' }), 1, 'the failed run')
  t.equal(total(runs, { 'alipayplus.outcome': 'delivered' }), finals.length, 'the retry and the other results')
  t.equal(total(metrics.get('alipayplus.delivery.failures'), { 'error.type': 'Error' }), 1)

  for (const gauge of ['alipayplus.polling.active', 'alipayplus.client.active_operations', 'alipayplus.client.queued_operations']) {
    t.equal(pointsOf(metrics.get(gauge)).length, 1, `${gauge} observed`)
  }
  // The database counts are read in the background at most every 30 s, never in the collection.
  await until(async () => pointsOf((metrics = await sdk.metrics()).get('alipayplus.delivery.pending')).length === 1)
  await until(async () => pointsOf((metrics = await sdk.metrics()).get('alipayplus.orders.attention')).length === 1)
  t.equal(total(metrics.get('alipayplus.orders.attention')), 0)

  const withOrderNo = [...metrics.values()].filter((metric) => pointsOf(metric).some((p) => 'alipayplus.order_no' in p.attributes))
  t.same(withOrderNo.map((metric) => metric.descriptor.name), [], 'no orderNo on any metric')
  for (const name of metrics.keys()) t.notMatch(name, /_total$/, `${name}: no _total`)

  const spans = sdk.spans.getFinishedSpans()
  const named = (name: string, orderNo?: string) =>
    spans.filter((span) => span.name === name && (orderNo === undefined || span.attributes['alipayplus.order_no'] === orderNo))
  const [inquiry] = named('alipayplus inquiryPayment', 'inquired')
  t.equal(inquiry?.kind, SpanKind.CLIENT)
  t.equal(inquiry?.attributes['alipayplus.outcome'], 'final')
  const [cancel] = named('alipayplus cancelPayment', 'cancelled')
  t.equal(cancel?.kind, SpanKind.CLIENT)
  t.equal(cancel?.attributes['alipayplus.outcome'], 'cancelled')

  const deliveries = named('alipayplus deliver', 'notified').sort((a, b) => Number(a.attributes['alipayplus.delivery.attempt']) - Number(b.attributes['alipayplus.delivery.attempt']))
  t.same(deliveries.map((span) => span.attributes['alipayplus.delivery.attempt']), [1, 2])
  t.same(deliveries.map((span) => span.status.code), [SpanStatusCode.ERROR, SpanStatusCode.UNSET], 'the failed run is an error')
  t.equal(deliveries[0]?.attributes['error.type'], 'Error')
  t.equal(deliveries[0]?.events.find((event) => event.name === 'exception')?.attributes?.['exception.message'], 'downstream refused')
  const deliverIds = new Set(named('alipayplus deliver').map((span) => span.spanContext().spanId))
  const handlerSpans = spans.filter((span) => span.name === 'merchant handler')
  t.ok(handlerSpans.length >= 3, 'the handler ran three times')
  t.ok(
    handlerSpans.every((span) => deliverIds.has(span.parentSpanContext?.spanId ?? '')),
    'every handler span is a child of a deliver span',
  )

  const requests = spans.filter((span) => span.name === 'POST /alipayplus/notifyPayment')
  const posted = requests.find((span) => span.attributes['alipayplus.order_no'] === 'posted')
  t.match(posted?.attributes, { 'alipayplus.answer': 'S', 'alipayplus.reason': 'recorded' }, 'the answer on the request span')
  t.ok(requests.some((span) => span.attributes['alipayplus.order_no'] === 'notified'), "and on the simulator's notification's")
  t.equal(spans.filter((span) => span.name.startsWith('alipayplus notify')).length, 0, 'no span of its own for a notification')
})

t.test('disabled: nothing recorded, even with providers given', PG, async (t) => {
  const sdk = otelSdk()
  t.teardown(() => sdk.shutdown())
  const world = await buildWorld(t, {
    app: {
      openTelemetry: { enabled: false, meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider },
      delivery: FAST_DELIVERY,
      onPaymentResult: () => {},
    },
  })
  await world.order('quiet-1')
  world.sim.completePayment('quiet-1', { status: 'SUCCESS', notify: false })
  t.match(await world.app.awaitPaymentResult('quiet-1'), { status: 'SUCCESS' })
  await world.order('quiet-2')
  t.equal((await world.app.inject(await signedNotify(alipayKeys.privateKey, notifyBody('quiet-2')))).statusCode, 200)
  await until(async () => (await world.store.getOrder('quiet-1'))?.deliveredAt != null)
  const metrics = await sdk.metrics()
  t.same([...metrics.values()].filter((metric) => metric.dataPoints.length > 0).map((metric) => metric.descriptor.name), [], 'no metric')
  t.same(sdk.spans.getFinishedSpans(), [], 'no span')
})
