// awaitPaymentResult against the Alipay+ simulator over real HTTP, on each of the four databases.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { forEachBackend } from '../helpers/databases.js'
import { buildWorld, until } from '../helpers/world.js'
import { rsaKeyPair } from '../helpers/keys.js'

const inquiriesFor = (world: { sim: { stats(): { inquiries: { byPayment: Record<string, number> } } } }, orderNo: string) =>
  world.sim.stats().inquiries.byPayment[orderNo] ?? 0

// Every behaviour below, on each of the four databases: more than tap's default 180 s.
t.setTimeout(900_000)
await forEachBackend(t, async (t, backend) => {
  t.test('no notification: the result comes from inquiryPayment', async (t) => {
    const world = await buildWorld(t, { backend })
    await world.order('inq-1')
    world.sim.completePayment('inq-1', { status: 'SUCCESS', notify: false })
    const result = await world.app.awaitPaymentResult('inq-1')
    t.match(result, { orderNo: 'inq-1', status: 'SUCCESS', final: true, source: 'inquiry', resultCode: 'SUCCESS' })
    t.type(result.paymentId, 'string')
    t.ok(result.paymentTime instanceof Date)
    t.same((await world.store.listEvents('inq-1')).map((e) => [e.source, e.applied]), [['inquiry', true]])

    await world.order('inq-2')
    world.sim.completePayment('inq-2', { status: 'FAIL', resultCode: 'ORDER_IS_CLOSED', notify: false })
    t.match(await world.app.awaitPaymentResult('inq-2'), { status: 'FAIL', resultCode: 'ORDER_IS_CLOSED', source: 'inquiry' })

    // Once final, no more inquiries: a second call answers from the database.
    const before = inquiriesFor(world, 'inq-1')
    t.match(await world.app.awaitPaymentResult('inq-1'), { status: 'SUCCESS', source: 'inquiry' })
    t.equal(inquiriesFor(world, 'inq-1'), before, 'no inquiry for a final order')
  })

  t.test('a notification during polling wakes the waiter at once and stops the inquiries', async (t) => {
    // Ticks a minute apart: only the wake-up can resolve the waiter within the second we allow.
    const world = await buildWorld(t, { backend, app: { polling: { minTimeoutMs: 60_000, maxTimeoutMs: 60_000, maxRetryTimeMs: 600_000 } } })
    await world.order('wake-1')
    const waiting = world.app.awaitPaymentResult('wake-1')
    // The first inquiry has been answered "in process": the loop now sleeps for a minute.
    await until(() => world.app.alipayplus.stats().outcomes.in_process === 1)
    world.sim.completePayment('wake-1', { status: 'SUCCESS' })
    t.equal(await world.sim.waitForDelivered('wake-1'), 'acknowledged')
    const result = await Promise.race([waiting, sleep(1_000).then(() => 'still waiting')])
    t.match(result, { status: 'SUCCESS', source: 'notify', final: true }, 'resolved by the notification')
    t.equal(world.app.alipayplus.stats().activeLoops, 0, 'the loop stopped')
    t.equal(inquiriesFor(world, 'wake-1'), 1, 'no inquiry after the notification')
  })

  t.test('in process, U, traffic limit, 5xx and timeouts are retried until a final answer', async (t) => {
    const world = await buildWorld(t, { backend, app: { requestTimeoutMs: 1_000 } })
    const faults = [
      ['inquiryUnknownRate', 1, 'retry'],
      ['inquiryTrafficLimitRate', 1, 'retry'],
      ['inquiry5xxRate', 1, 'retry'],
      ['inquirySlowMs', 60_000, 'retry'], // never answered within requestTimeoutMs (1000)
    ] as const
    for (const [fault, value, kind] of faults) {
      const orderNo = `fault-${fault}`
      await world.order(orderNo)
      world.sim.completePayment(orderNo, { status: 'SUCCESS', notify: false })
      world.sim.setPaymentFaults(orderNo, { [fault]: value })
      const before = world.app.alipayplus.stats().outcomes[kind]
      const waiting = world.app.awaitPaymentResult(orderNo)
      // Two failed inquiries classified and retried, then the fault goes away.
      await until(() => world.app.alipayplus.stats().outcomes[kind] - before >= 2)
      world.sim.setPaymentFaults(orderNo, { [fault]: 0 })
      t.match(await waiting, { status: 'SUCCESS', source: 'inquiry' }, `${fault}: retried, then resolved`)
    }

    await world.order('in-process')
    world.sim.completePayment('in-process', { status: 'FAIL', notify: false })
    world.sim.setPaymentFaults('in-process', { inquiryInProcessFirstN: 3 })
    t.match(await world.app.awaitPaymentResult('in-process'), { status: 'FAIL', source: 'inquiry' })
    t.equal(inquiriesFor(world, 'in-process'), 4, 'three PAYMENT_IN_PROCESS answers, then the result')

    // Alipay+ does not know the payment yet: ORDER_NOT_EXIST is never a failure.
    await world.store.createOrder({ orderNo: 'late-1', amount: { currency: 'USD', value: '100' } })
    const waiting = world.app.awaitPaymentResult('late-1')
    await until(() => world.app.alipayplus.stats().outcomes.order_not_exist >= 2)
    t.equal((await world.store.getOrder('late-1'))?.status, 'init', 'ORDER_NOT_EXIST records nothing')
    world.sim.createPayment({ paymentRequestId: 'late-1', amount: { currency: 'USD', value: '100' } })
    world.sim.completePayment('late-1', { status: 'SUCCESS', notify: false })
    t.match(await waiting, { status: 'SUCCESS', source: 'inquiry' })
  })

  t.test('a tampered inquiry answer is never recorded', async (t) => {
    const world = await buildWorld(t, { backend })
    await world.order('tamper-1')
    world.sim.completePayment('tamper-1', { status: 'SUCCESS', notify: false })
    world.sim.setPaymentFaults('tamper-1', { inquiryTamperRate: 1 })
    await t.rejects(world.app.awaitPaymentResult('tamper-1'), {
      code: 'FST_ALIPAYPLUS_SETUP_ERROR',
      alipayResultCode: 'INVALID_RESPONSE_SIGNATURE',
    })
    t.equal((await world.store.getOrder('tamper-1'))?.status, 'init')
    t.equal((await world.store.listEvents('tamper-1')).length, 0)
  })

  t.test('a setup error rejects with the Alipay+ code and leaves the order init', async (t) => {
    const world = await buildWorld(t, { backend })
    const wrongKeyApp = await world.addApp({ privateKey: rsaKeyPair().privatePem })
    await world.order('setup-1')
    world.sim.completePayment('setup-1', { status: 'SUCCESS', notify: false })
    await t.rejects(wrongKeyApp.awaitPaymentResult('setup-1'), {
      code: 'FST_ALIPAYPLUS_SETUP_ERROR',
      alipayResultCode: 'INVALID_SIGNATURE',
    })
    t.equal((await world.store.getOrder('setup-1'))?.status, 'init')
    t.equal(inquiriesFor(world, 'setup-1'), 1, 'a setup error is not retried')

    await world.order('setup-2')
    world.sim.completePayment('setup-2', { status: 'SUCCESS', notify: false })
    const otherClient = await world.addApp({ clientId: 'NOT_THE_SIMULATORS_CLIENT' })
    await t.rejects(otherClient.awaitPaymentResult('setup-2'), { code: 'FST_ALIPAYPLUS_SETUP_ERROR', alipayResultCode: 'INVALID_CLIENT' })
    t.equal((await world.store.getOrder('setup-2'))?.status, 'init')
  })

  t.test('unknown order, abort, window end', async (t) => {
    const world = await buildWorld(t, { backend })
    await t.rejects(world.app.awaitPaymentResult('never-created'), { code: 'FST_ALIPAYPLUS_UNKNOWN_ORDER' })
    await t.rejects(world.app.awaitPaymentResult(''), { code: 'FST_ALIPAYPLUS_INVALID_ORDER_NO' })
    await t.rejects(world.app.awaitPaymentResult('abort-1\u0000'), { code: 'FST_ALIPAYPLUS_INVALID_ORDER_NO' }, 'NUL')
    await t.rejects(world.app.awaitPaymentResult(' abort-1'), { code: 'FST_ALIPAYPLUS_INVALID_ORDER_NO' }, 'leading space')

    await world.order('abort-1')
    await t.rejects(world.app.awaitPaymentResult('abort-1', { signal: AbortSignal.abort() }), { code: 'FST_ALIPAYPLUS_ABORTED' })
    const controller = new AbortController()
    const waiting = world.app.awaitPaymentResult('abort-1', { signal: controller.signal })
    await until(() => inquiriesFor(world, 'abort-1') >= 1)
    controller.abort()
    await t.rejects(waiting, { code: 'FST_ALIPAYPLUS_ABORTED' })
    await until(() => world.app.alipayplus.stats().activeLoops === 0)
    t.equal((await world.store.getOrder('abort-1'))?.status, 'init')

    await world.order('window-1')
    const result = await world.app.awaitPaymentResult('window-1', { timeoutMs: 300 })
    t.same(result, { orderNo: 'window-1', status: 'init', final: false, source: null })
    // Inside a window the loop keeps inquiring (counted, not timed: how many fit in 300 ms
    // depends on the machine): a wait with no end of its own sees three, then is stopped.
    const patient = new AbortController()
    const stopped = world.app.awaitPaymentResult('window-1', { signal: patient.signal }).then(
      () => null,
      (error: unknown) => error,
    )
    const before = inquiriesFor(world, 'window-1')
    await until(() => inquiriesFor(world, 'window-1') >= before + 3)
    patient.abort()
    t.match(await stopped, { code: 'FST_ALIPAYPLUS_ABORTED' }, 'it kept inquiring inside the window')
  })

  t.test('a timeoutMs above 2^31-1 ms, or a misspelt option, is refused, not turned into a 1 ms timer or ignored', async (t) => {
    const world = await buildWorld(t, { backend })
    await world.order('huge-window-1')
    world.sim.completePayment('huge-window-1', { status: 'SUCCESS', notify: false })
    await t.rejects(world.app.awaitPaymentResult('huge-window-1', { timeoutMs: 2 ** 31 }), {
      code: 'FST_ALIPAYPLUS_INVALID_OPTION',
      message: /"timeoutMs"/,
    })
    await t.rejects(world.app.awaitPaymentResult('huge-window-1', { timeout: 5_000 } as never), {
      code: 'FST_ALIPAYPLUS_INVALID_OPTION',
      message: /"timeout" is unknown: did you mean "timeoutMs"\?/,
    })
    t.equal(inquiriesFor(world, 'huge-window-1'), 0, 'refused before any inquiry')
    const result = await world.app.awaitPaymentResult('huge-window-1', { timeoutMs: 2 ** 31 - 1 })
    t.match(result, { status: 'SUCCESS', final: true }, 'the largest timer delay is accepted')
  })

  t.test('50 concurrent waiters on one order share one loop', async (t) => {
    const world = await buildWorld(t, { backend })
    await world.order('shared-1')
    const loopsBefore = world.app.alipayplus.stats().loopsStarted
    const waiters = Array.from({ length: 50 }, () => world.app.awaitPaymentResult('shared-1'))
    await until(() => inquiriesFor(world, 'shared-1') >= 3)
    world.sim.completePayment('shared-1', { status: 'SUCCESS', notify: false })
    const results = await Promise.all(waiters)
    t.ok(results.every((r) => r.status === 'SUCCESS' && r.source === 'inquiry'), 'all 50 get the result')
    t.equal(world.app.alipayplus.stats().loopsStarted - loopsBefore, 1, 'one loop')
    t.ok(inquiriesFor(world, 'shared-1') <= 5, `one inquiry per tick, not per waiter (${inquiriesFor(world, 'shared-1')})`)
  })

  t.test('maxConcurrentInquiries caps the inquiries in flight', async (t) => {
    const world = await buildWorld(t, { backend, app: { maxConcurrentInquiries: 3 }, faults: { inquirySlowMs: 30 } })
    const orderNos = Array.from({ length: 40 }, (_, i) => `cap-${i}`)
    for (const orderNo of orderNos) {
      await world.order(orderNo)
      world.sim.completePayment(orderNo, { status: 'SUCCESS', notify: false })
    }
    const results = await Promise.all(orderNos.map((orderNo) => world.app.awaitPaymentResult(orderNo)))
    t.ok(results.every((r) => r.status === 'SUCCESS'))
    t.equal(world.sim.stats().inquiries.maxConcurrent, 3, 'Alipay+ saw at most 3 at once')
    t.equal(world.app.alipayplus.stats().peakInFlight, 3)
  })

  t.test('close() settles every waiter', async (t) => {
    const world = await buildWorld(t, { backend })
    await world.order('close-1')
    // Its rejection is handled from the start: it comes while close() runs, before the check.
    const waiting = world.app.awaitPaymentResult('close-1').then(
      () => null,
      (error: unknown) => error,
    )
    await until(() => inquiriesFor(world, 'close-1') >= 1)
    await world.app.close()
    t.match(await waiting, { code: 'FST_ALIPAYPLUS_CLOSED' })
    await t.rejects(world.app.awaitPaymentResult('close-1'), { code: 'FST_ALIPAYPLUS_CLOSED' })
  })
})
