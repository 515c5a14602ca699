// The ops page in a real headless Chromium (Debian's, driven by playwright-core), mounted as
// the docs show it: behind @fastify/basic-auth, on a merchant app whose handler failed until
// delivery gave up. An operator lists the dead letter, presses "Retry delivery", the handler
// runs with the same idempotency key and the order leaves the view. Read-only mode shows no buttons and has no POST routes; a cross-site
// POST is refused. A screenshot of the page goes to .data/screenshots/ops-page.png.
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import fastifyBasicAuth from '@fastify/basic-auth'
import { chromium } from 'playwright-core'
import t from 'tap'
import alipayPlusAdmin from '../../src/admin/index.js'
import { backendNamed, REQUIRE_SERVERS } from '../helpers/databases.js'
import { FAST_DELIVERY, RunLog } from '../helpers/delivery.js'
import { buildWorld, until } from '../helpers/world.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const missing = existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`
if (missing && REQUIRE_SERVERS) t.fail(`${missing} (TEST_REQUIRE_SERVERS=1)`)

t.test('the ops page in Chromium', { skip: (!REQUIRE_SERVERS && missing) || false }, async (t) => {
  const runs = new RunLog()
  let works = false
  const world = await buildWorld(t, {
    backend: backendNamed('sqlite'),
    listen: false,
    app: {
      onPaymentResult: runs.handler('a', () => {
        if (!works) throw new Error('the shop database is down')
      }),
      // One run, no retry: a failure makes the result a dead letter at once.
      delivery: { ...FAST_DELIVERY, retries: 0 },
      // The wiring docs/operations.md shows: authentication is the host's.
      setup: async (app) => {
        await app.register(async (scope) => {
          await scope.register(fastifyBasicAuth, {
            validate: async (user, password) => {
              if (user !== 'ops' || password !== 'correct horse') throw new Error('unknown operator')
            },
            authenticate: { realm: 'alipayplus-admin' },
          })
          scope.addHook('onRequest', scope.basicAuth)
          await scope.register(alipayPlusAdmin, { prefix: '/alipayplus/admin' })
          await scope.register(alipayPlusAdmin, { prefix: '/alipayplus/readonly', readOnly: true })
        })
      },
    },
  })
  const { app, store } = world
  const url = await app.listen({ port: 0, host: '127.0.0.1' })

  for (const orderNo of ['p-1', 'p-2']) await store.createOrder({ orderNo, amount: { currency: 'USD', value: '250' } })
  await store.recordResult({ orderNo: 'p-1', source: 'notify', status: 'SUCCESS', paymentAmount: { currency: 'USD', value: '250' }, payload: '{"n":1}' })
  await until(async () => (await store.getOrder('p-1'))!.deliveryGaveUpAt !== null)

  t.equal((await app.inject({ url: '/alipayplus/admin/api/views' })).statusCode, 401, 'no credentials, no page')

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  t.teardown(() => browser.close())
  const context = await browser.newContext({ httpCredentials: { username: 'ops', password: 'correct horse' }, viewport: { width: 1280, height: 720 } })
  const page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))

  await page.goto(`${url}/alipayplus/admin/?view=delivery_exhausted`)
  const row = page.locator('#orders tbody tr[data-order-no="p-1"]')
  await row.waitFor()
  t.match(await row.innerText(), /p-1\s+SUCCESS\s+USD 250.*gave up after 1/, 'the dead letter is listed')
  t.match(await page.locator('nav button[data-view=delivery_exhausted]').innerText(), /Delivery gave up \(1\)/, 'with the view\'s count')
  await row.click()
  await page.locator('#detail-title', { hasText: 'p-1' }).waitFor()
  t.match(await page.locator('#fields').innerText(), /Last delivery error\s+Error: the shop database is down/, 'the order shows why delivery fails')
  t.match(await page.locator('#events').innerText(), /notify\s+S/, 'and its audit trail')
  await mkdir('.data/screenshots', { recursive: true })
  await page.screenshot({ path: '.data/screenshots/ops-page.png', fullPage: true })

  works = true
  await page.locator('button[data-action=retry-delivery]').click()
  await until(() => runs.of('p-1').length === 2)
  await page.locator('#message', { hasText: 'Done.' }).waitFor()
  await row.waitFor({ state: 'detached' })
  t.equal(await page.locator('#orders tbody tr').count(), 0, 'the delivered order leaves the view')
  await until(async () => (await store.getOrder('p-1'))!.deliveredAt !== null)
  t.equal((await store.getOrder('p-1'))!.deliveryRequestedBy, null)
  t.same(runs.of('p-1').map((run) => run.idempotencyKey).filter((key, i, all) => all.indexOf(key) === i).length, 1, 'one idempotency key for both runs')

  await page.goto(`${url}/alipayplus/readonly/?view=recent`)
  await page.locator('#orders tbody tr[data-order-no="p-2"]').click()
  await page.locator('#detail-title', { hasText: 'p-2' }).waitFor()
  t.equal(await page.locator('#actions').isVisible(), false, 'read-only: no buttons')
  t.equal(await page.locator('#mode').innerText(), 'read-only')
  t.same(pageErrors, [], 'no script error on the page')

  const auth = { authorization: `Basic ${Buffer.from('ops:correct horse').toString('base64')}` }
  const post = (path: string, headers: Record<string, string>) =>
    app.inject({ method: 'POST', url: path, headers: { ...auth, 'content-type': 'application/json', ...headers }, payload: { status: 'FAIL', note: 'x' } })
  t.equal((await post('/alipayplus/readonly/api/orders/p-2/resolve', { 'x-alipayplus-admin': '1' })).statusCode, 404, 'read-only: no POST route')
  t.equal((await post('/alipayplus/admin/api/orders/p-2/resolve', {})).statusCode, 403, 'a POST without the admin header is refused')
  t.equal(
    (await post('/alipayplus/admin/api/orders/p-2/resolve', { 'x-alipayplus-admin': '1', origin: 'https://evil.example' })).statusCode,
    403,
    'a POST from another origin is refused',
  )
  t.equal((await post('/alipayplus/admin/api/orders/p-2/resolve', { 'x-alipayplus-admin': '1', 'sec-fetch-site': 'cross-site' })).statusCode, 403)
  t.equal((await store.getOrder('p-2'))!.status, 'init', 'nothing was written by the refused requests')
  const done = await post('/alipayplus/admin/api/orders/p-2/resolve', { 'x-alipayplus-admin': '1' })
  t.equal(done.statusCode, 200)
  t.match(done.json(), { changed: true, order: { status: 'FAIL', resultSource: 'manual' } })
  const bad = await app.inject({ url: '/alipayplus/admin/api/orders?view=nope', headers: auth })
  t.equal(bad.statusCode, 400, 'a bad view is the caller\'s mistake')
})
