// An app whose schema already has a PaymentOrder model of its own adopts the plugin: the two
// models are named AlipayOrder/AlipayEvent (the `models` option), @@map/@map-ped to snake_case
// tables and columns, with renamed enums, in the PostgreSQL schema "tenant" (PrismaPg's
// `schema` option) while "public" holds a same-named table of another app. Notifications and
// awaitPaymentResult work, and nothing outside "tenant" is touched.
import { readFile } from 'node:fs/promises'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import t from 'tap'
import { PrismaClient } from '../../generated/renamed/client.js'
import { createSimulator } from '../../src/simulator/index.js'
import { createEmptyPostgres, needsServer } from '../helpers/databases.js'
import { buildMerchantApp, CLIENT_ID } from '../helpers/merchant-app.js'
import { notifyBody, signedNotify } from '../helpers/notify-request.js'
import { alipayKeys, FAST_POLLING, merchantKeys } from '../helpers/world.js'

// The engine writes the tables exactly as `prisma migrate dev` would for this schema.
const { diffSql } = (await import(new URL('../../scripts/schema-engine.mjs', import.meta.url).href)) as {
  diffSql(input: { toSchema: string }): Promise<string>
}
const SCHEMA = await readFile(new URL('../fixtures/renamed/schema.prisma', import.meta.url), 'utf8')
const AMOUNT = { currency: 'USD', value: '100' }

t.test('renamed, mapped models in a non-default PostgreSQL schema', await needsServer('postgresql'), async (t) => {
  const url = await createEmptyPostgres(t)
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  t.teardown(() => admin.end())
  await admin.query('CREATE SCHEMA tenant')
  await admin.query(`SET search_path TO tenant; ${await diffSql({ toSchema: SCHEMA })}`)
  // Another app's tables of the same names in "public": the plugin must never read or write them.
  await admin.query(`SET search_path TO public; ${await diffSql({ toSchema: SCHEMA })}`)
  await admin.query(`INSERT INTO public.alipay_orders (order_no, amount_minor, currency, updated_at) VALUES ('shared-1', '100', 'USD', now())`)

  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }, { schema: 'tenant' }) })
  t.teardown(() => prisma.$disconnect())
  await prisma.paymentOrder.create({ data: { label: "the merchant's own model" } })

  const sim = createSimulator({
    clientId: CLIENT_ID,
    merchantPublicKey: merchantKeys.publicPem,
    alipayPrivateKey: alipayKeys.privatePem,
    redeliveryScheduleMs: [0, 50, 100],
  })
  const simUrl = await sim.listen()
  t.teardown(() => sim.close())
  const { app } = await buildMerchantApp(t, {
    prisma,
    models: { order: 'alipayOrder', event: 'alipayEvent' },
    merchant: merchantKeys,
    alipay: alipayKeys,
    gatewayUrl: simUrl,
    polling: FAST_POLLING,
  })
  const store = app.alipayplus.store

  // By notification.
  await store.createOrder({ orderNo: 'shared-1', amount: AMOUNT })
  const answer = await app.inject(await signedNotify(alipayKeys.privateKey, notifyBody('shared-1')))
  t.equal(answer.statusCode, 200)
  const notified = await prisma.alipayOrder.findFirst({ where: { orderNo: 'shared-1' } })
  t.equal(notified?.status, 'SUCCESS')
  t.equal((await prisma.alipayEvent.findMany({ where: { orderNo: 'shared-1' } })).length, 1)

  // By inquiry.
  await store.createOrder({ orderNo: 'shared-2', amount: AMOUNT })
  sim.createPayment({ paymentRequestId: 'shared-2', amount: AMOUNT })
  sim.completePayment('shared-2', { status: 'FAIL', notify: false })
  const result = await app.awaitPaymentResult('shared-2')
  t.same([result.status, result.source], ['FAIL', 'inquiry'])
  const events = await store.listEvents('shared-2')
  t.same(events.map((e) => [e.source, e.applied]), [['inquiry', true]])

  const publicRows = await admin.query('SELECT order_no, status FROM public.alipay_orders')
  t.same(publicRows.rows, [{ order_no: 'shared-1', status: 'init' }], 'the same-named table in "public" is untouched')
  t.equal((await admin.query('SELECT count(*)::int AS n FROM public.alipay_events')).rows[0].n, 0)
  t.equal(await prisma.paymentOrder.count(), 1, "the merchant's own PaymentOrder model is its own")
})

t.test('a same-named model of the app\'s own, or a wrong name, fails at register, saying why', async (t) => {
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: 'postgresql://127.0.0.1:9/none' }) })
  t.teardown(() => prisma.$disconnect())
  const options = { merchant: merchantKeys, alipay: alipayKeys }
  await t.rejects(buildMerchantApp(t, { prisma, ...options }), {
    code: 'FST_ALIPAYPLUS_INVALID_OPTION',
    message: /option "prisma" names the model "paymentOrder", which lacks the plugin's fields orderNo, status, amount/,
  })
  await t.rejects(buildMerchantApp(t, { prisma, models: { order: 'alipayOrder', event: 'alipayEvents' }, ...options }), {
    code: 'FST_ALIPAYPLUS_INVALID_OPTION',
    message: /option "models.event" is "alipayEvents", which is not a model/,
  })
  await t.rejects(buildMerchantApp(t, { prisma, models: { order: 'alipayOrders', event: 'alipayEvent' }, ...options }), {
    code: 'FST_ALIPAYPLUS_INVALID_OPTION',
    message: /option "models.order" is "alipayOrders", which is not a model of this PrismaClient \(the client's models: alipayEvent, alipayOrder, paymentOrder\)/,
  })
  await t.rejects(buildMerchantApp(t, { prisma: {}, ...options }), { code: 'FST_ALIPAYPLUS_INVALID_OPTION', message: /none found/ })
})
