// @opentelemetry/api is an optional peer dependency, loaded only when used: with
// openTelemetry.enabled false the plugin never loads it, through a whole notification; by
// default (it is installed here) it does. This file imports nothing of OpenTelemetry itself.
import { createRequire } from 'node:module'
import t from 'tap'
import { freshPGlite } from '../helpers/databases.js'
import { buildMerchantApp } from '../helpers/merchant-app.js'
import { notifyBody, signedNotify } from '../helpers/notify-request.js'
import { alipayKeys, merchantKeys } from '../helpers/world.js'

// The API's entry is CommonJS: an import() of it lands in the CommonJS module cache.
const moduleCache = createRequire(import.meta.url).cache
const apiLoaded = () => Object.keys(moduleCache).some((path) => path.includes('/node_modules/@opentelemetry/api/'))

t.test('disabled: @opentelemetry/api is never loaded; enabled by default: it is', async (t) => {
  const { prisma } = await freshPGlite(t)
  t.notOk(apiLoaded(), 'not loaded before the plugin registers')
  const { app } = await buildMerchantApp(t, { prisma, merchant: merchantKeys, alipay: alipayKeys, openTelemetry: { enabled: false } })
  await app.alipayplus.store.createOrder({ orderNo: 'off-1', amount: { currency: 'USD', value: '100' } })
  t.equal((await app.inject(await signedNotify(alipayKeys.privateKey, notifyBody('off-1')))).statusCode, 200)
  t.equal((await app.alipayplus.health()).status, 'ok')
  t.notOk(apiLoaded(), 'not loaded by a disabled plugin, through a notification and a health check')

  await buildMerchantApp(t, { prisma, merchant: merchantKeys, alipay: alipayKeys })
  t.ok(apiLoaded(), 'loaded by a plugin with the default options')
})
