import t from 'tap'
import { PollingRows } from '../../src/polling/polling-rows.js'
import { OrderStore } from '../../src/store/order-store.js'
import { resolvePaymentModels } from '../../src/store/payment-models.js'
import { forEachBackend } from '../helpers/databases.js'

const USD_100 = { currency: 'USD', value: '100' }

await forEachBackend(t, async (t, backend) => {
  const { prisma } = await backend.open(t)
  const store = OrderStore.fromClient(prisma)
  // The reconciler's listing, to see that flagged orders leave it (its own tests: test/polling/polling-rows.test.ts).
  const rows = new PollingRows(resolvePaymentModels(prisma, undefined))

  t.test('a new order starts init', async (t) => {
    const order = await store.createOrder({ orderNo: 'new-1', amount: USD_100 })
    t.equal(order.status, 'init')
    t.equal(order.amount, '100')
    t.equal(order.currency, 'USD')
    t.equal(order.finalizedAt, null)
    await t.rejects(store.createOrder({ orderNo: 'new-1', amount: USD_100 }), { code: 'FST_ALIPAYPLUS_DUPLICATE_ORDER' })
  })

  t.test('the first final result wins and never changes', async (t) => {
    await store.createOrder({ orderNo: 'win-1', amount: USD_100 })
    const first = await store.recordResult({
      orderNo: 'win-1',
      source: 'inquiry',
      status: 'SUCCESS',
      resultCode: 'SUCCESS',
      paymentId: 'pay-1',
      paymentTime: '2026-11-26T08:00:00+08:00',
      paymentAmount: USD_100,
      payload: { from: 'inquiry' },
    })
    t.equal(first.applied, true)
    t.equal(first.reason, null)
    t.equal(first.order.status, 'SUCCESS')
    t.equal(first.order.resultSource, 'inquiry')
    t.equal(first.order.paymentId, 'pay-1')
    t.equal(first.order.finalEventId, first.eventId)
    t.equal(first.order.paymentTime?.toISOString(), '2026-11-26T00:00:00.000Z')

    const second = await store.recordResult({
      orderNo: 'win-1',
      source: 'notify',
      status: 'FAIL',
      resultCode: 'ORDER_IS_CLOSED',
      payload: { from: 'notify' },
    })
    t.equal(second.applied, false)
    t.equal(second.reason, 'conflicting_result', 'a FAIL after a SUCCESS is a conflict, never an overwrite')
    t.equal(second.order.status, 'SUCCESS', 'the stored result is the winner')

    const stored = await store.getOrder('win-1')
    t.equal(stored?.status, 'SUCCESS')
    t.equal(stored?.resultSource, 'inquiry')

    const events = await store.listEvents('win-1')
    t.same(
      events.map((e) => [e.source, e.resultStatus, e.applied, e.reason]),
      [
        ['inquiry', 'S', true, null],
        ['notify', 'F', false, 'conflicting_result'],
      ],
    )
    t.same(JSON.parse(events[1]!.payload), { from: 'notify' })

    const third = await store.recordResult({
      orderNo: 'win-1',
      source: 'notify',
      status: 'SUCCESS',
      paymentAmount: USD_100,
      payload: { from: 'notify', again: true },
    })
    t.same([third.applied, third.reason, third.order.status], [false, 'already_final', 'SUCCESS'])
  })

  t.test('a SUCCESS whose amount differs is refused and audited, order stays init', async (t) => {
    await store.createOrder({ orderNo: 'amt-1', amount: USD_100 })
    for (const paymentAmount of [
      { currency: 'USD', value: '101' },
      { currency: 'EUR', value: '100' },
    ]) {
      const outcome = await store.recordResult({
        orderNo: 'amt-1',
        source: 'notify',
        status: 'SUCCESS',
        paymentAmount,
        payload: { paymentAmount },
      })
      t.equal(outcome.applied, false)
      t.equal(outcome.reason, 'amount_mismatch')
      t.equal(outcome.order.status, 'init')
    }
    t.equal((await store.getOrder('amt-1'))?.status, 'init')
    const events = await store.listEvents('amt-1')
    t.same(events.map((e) => [e.applied, e.reason]), [
      [false, 'amount_mismatch'],
      [false, 'amount_mismatch'],
    ])
  })

  t.test('an identical message received again is counted on its event, not added', async (t) => {
    await store.createOrder({ orderNo: 'dup-1', amount: USD_100 })
    const raw = '{"paymentRequestId":"dup-1","paymentResult":{"resultStatus":"F","resultCode":"ORDER_IS_CLOSED"}}'
    const input = { orderNo: 'dup-1', source: 'notify', status: 'FAIL', resultCode: 'ORDER_IS_CLOSED', payload: raw } as const
    const first = await store.recordResult(input)
    const again = await Promise.all([store.recordResult(input), store.recordResult(input), store.recordResult(input)])
    t.equal(first.applied, true)
    t.ok(again.every((o) => !o.applied && o.reason === 'already_final' && o.eventId === first.eventId))
    const events = await store.listEvents('dup-1')
    t.equal(events.length, 1, 'one row for four deliveries')
    t.same([events[0]?.deliveries, events[0]?.applied, events[0]?.reason, events[0]?.payload], [4, true, null, raw])
  })

  t.test('every message Alipay+ can sign is recordable', async (t) => {
    await store.createOrder({ orderNo: 'odd-1', amount: USD_100 })
    const raw = JSON.stringify({ paymentRequestId: 'odd-1', note: 'nul \u0000 and lone \ud800', resultMessage: 'x'.repeat(5000) })
    const outcome = await store.recordResult({
      orderNo: 'odd-1',
      source: 'notify',
      status: 'SUCCESS',
      paymentAmount: USD_100,
      resultCode: 'SUCCESS',
      resultMessage: `nul \u0000, lone \ud800, long ${'y'.repeat(5000)}`,
      paymentId: 'pay\u0000id',
      paymentTime: '0000-01-01T00:00:00Z',
      payload: raw,
    })
    t.equal(outcome.applied, true)
    const order = await store.getOrder('odd-1')
    t.equal(order?.status, 'SUCCESS')
    t.equal(order?.paymentTime, null, 'an out-of-range paymentTime stays only in the payload')
    t.equal(order?.paymentId, 'pay\ufffdid')
    t.ok(order?.resultMessage?.startsWith('nul \ufffd, lone \ufffd, long yyy'))
    t.equal(order?.resultMessage?.length, 20 + 5000)
    const [event] = await store.listEvents('odd-1')
    t.equal(event?.payload, raw, 'the message is kept exactly')
  })

  t.test('bad input is a typed error and writes nothing', async (t) => {
    await store.createOrder({ orderNo: 'bad-1', amount: USD_100 })
    const cases: Array<[string, unknown, string]> = [
      ['unknown order', { orderNo: 'nope', source: 'notify', status: 'FAIL', payload: {} }, 'FST_ALIPAYPLUS_UNKNOWN_ORDER'],
      ['unknown status', { orderNo: 'bad-1', source: 'notify', status: 'init', payload: {} }, 'FST_ALIPAYPLUS_INVALID_RESULT'],
      ['lower-case status', { orderNo: 'bad-1', source: 'notify', status: 'success', payload: {} }, 'FST_ALIPAYPLUS_INVALID_RESULT'],
      ['unknown source', { orderNo: 'bad-1', source: 'email', status: 'FAIL', payload: {} }, 'FST_ALIPAYPLUS_INVALID_RESULT'],
      ['SUCCESS without amount', { orderNo: 'bad-1', source: 'notify', status: 'SUCCESS', payload: {} }, 'FST_ALIPAYPLUS_INVALID_AMOUNT'],
      ['decimal amount', { orderNo: 'bad-1', source: 'notify', status: 'SUCCESS', paymentAmount: { currency: 'USD', value: '1.00' }, payload: {} }, 'FST_ALIPAYPLUS_INVALID_AMOUNT'],
      ['numeric amount', { orderNo: 'bad-1', source: 'notify', status: 'SUCCESS', paymentAmount: { currency: 'USD', value: 100 }, payload: {} }, 'FST_ALIPAYPLUS_INVALID_AMOUNT'],
      ['bad currency', { orderNo: 'bad-1', source: 'notify', status: 'SUCCESS', paymentAmount: { currency: 'usd', value: '100' }, payload: {} }, 'FST_ALIPAYPLUS_INVALID_AMOUNT'],
      ['empty orderNo', { orderNo: '', source: 'notify', status: 'FAIL', payload: {} }, 'FST_ALIPAYPLUS_INVALID_ORDER_NO'],
      ['orderNo over 64', { orderNo: 'x'.repeat(65), source: 'notify', status: 'FAIL', payload: {} }, 'FST_ALIPAYPLUS_INVALID_ORDER_NO'],
    ]
    for (const [name, input, code] of cases) {
      await t.rejects(store.recordResult(input as never), { code }, name)
    }
    for (const [name, amount] of [
      ['negative', { currency: 'USD', value: '-1' }],
      ['leading zero', { currency: 'USD', value: '0100' }],
      ['float', { currency: 'USD', value: 1.5 }],
      ['missing', undefined],
    ] as const) {
      await t.rejects(store.createOrder({ orderNo: `bad-amount-${name}`, amount: amount as never }), { code: 'FST_ALIPAYPLUS_INVALID_AMOUNT' }, name)
    }
    t.equal((await store.getOrder('bad-1'))?.status, 'init')
    t.same(await store.listEvents('bad-1'), [])
    t.equal(await prisma.paymentOrder.count({ where: { orderNo: { startsWith: 'bad-amount-' } } }), 0)
    t.equal(await prisma.paymentEvent.count({ where: { orderNo: 'nope' } }), 0)
  })

  t.test('an order left to a human: flagged once, skipped by the reconciler, listed, never a final one', async (t) => {
    const base = Date.now() - 60_000
    for (let i = 0; i < 4; i++) {
      await prisma.paymentOrder.create({
        data: { orderNo: `att-${i}`, amount: '1', currency: 'JPY', createdAt: new Date(base + i * 1000) },
      })
    }
    const pendingAtt = async () => (await rows.findDue(new Date(), 1000)).filter((no) => no.startsWith('att-'))
    t.same(await pendingAtt(), ['att-0', 'att-1', 'att-2', 'att-3'])

    t.equal(await store.setAttention('att-1', 'amount_mismatch'), true, 'set on an init order')
    t.equal(await store.setAttention('att-1', 'gave_up'), false, 'the first reason stays')
    t.equal(await store.setAttention('att-3', 'cancel_refused'), true)
    await store.recordResult({ orderNo: 'att-2', source: 'inquiry', status: 'FAIL', payload: {} })
    t.equal(await store.setAttention('att-2', 'gave_up'), false, 'a final order is never flagged')
    t.equal(await store.setAttention('att-unknown', 'gave_up'), false, 'an unknown order: nothing')

    t.same(await pendingAtt(), ['att-0'], 'flagged orders are not pending')
    const flagged = (await store.findOrdersNeedingAttention()).filter((o) => o.orderNo.startsWith('att-'))
    t.same(flagged.map((o) => [o.orderNo, o.attention, o.status]), [
      ['att-1', 'amount_mismatch', 'init'],
      ['att-3', 'cancel_refused', 'init'],
    ], 'oldest first, with the reason')
    t.equal((await store.getOrder('att-2'))?.attention, null)

    // A result arriving later still decides the order; it then leaves the list.
    await store.recordResult({ orderNo: 'att-3', source: 'notify', status: 'FAIL', payload: { late: true } })
    t.same((await store.findOrdersNeedingAttention()).filter((o) => o.orderNo.startsWith('att-')).map((o) => o.orderNo), ['att-1'])
    t.equal(await store.clearAttention('att-3'), false, 'a final order is not touched')
    t.equal((await store.getOrder('att-3'))?.attention, 'cancel_refused', 'its history stays')

    // A human hands it back to the plugin.
    t.equal(await store.clearAttention('att-1'), true)
    t.same(await pendingAtt(), ['att-0', 'att-1'])
    await t.rejects(store.setAttention('att-0', ''), { code: 'FST_ALIPAYPLUS_INVALID_RESULT' })
    await t.rejects(store.findOrdersNeedingAttention(0), { code: 'FST_ALIPAYPLUS_INVALID_RESULT' })
  })
})
