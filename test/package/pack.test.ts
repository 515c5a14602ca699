// The package as a merchant gets it: build and pack the tarball, check its file list, install
// it with its peers into a throw-away project outside the repository, and use every entry
// point from an ESM app, a CommonJS app and TypeScript (ESM and CommonJS) consumers.
// Needs the npm registry (or an npm cache that already holds fastify and @prisma/client).
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { childEnv, consumerTsconfig, emptyApp, installedVersion, packTarball, pkg, QUIET_INSTALL, root, run, scratchDir } from '../helpers/packed-package.js'
import { checkInstalledCli } from './installed-cli.js'

// Long on purpose (a build, an npm install, several child processes): its own limit, not the default.
t.setTimeout(600_000)

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url))

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true })
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(root, join(entry.parentPath, entry.name)))
}

const entryNames = Object.keys(pkg.exports).filter((name) => name !== './package.json')
const conditionTargets = entryNames.flatMap((name) => {
  const target = pkg.exports[name]
  return typeof target === 'string' ? [target] : [target!.types, target!.default]
})

t.test('publishing scripts: prepack builds into a cleaned dist', async (t) => {
  t.match(pkg.scripts.prepack, /npm run build/, 'prepack runs the build')
  t.match(pkg.scripts.build, /^npm run clean && tsc -p tsconfig\.build\.json$/, 'the build cleans dist first')
  for (const name of entryNames) {
    const target = pkg.exports[name]
    t.same(typeof target === 'object' ? Object.keys(target) : target, ['types', 'default'], `${name} has types and default`)
  }
})

// The public names of each entry point: a removal or a move is a breaking change.
const EXPECTED: Record<string, string[]> = {
  '.': [
    'default',
    'fastifyAlipayPlus',
    'DEFAULTS',
    'InvalidOptionError',
    'UnknownOrderError',
    'DuplicateOrderError',
    'InvalidOrderNoError',
    'InvalidAmountError',
    'InvalidResultError',
    'MigrationChecksumError',
    'MigrationFailedError',
    'AbortedError',
    'ClosedError',
    'AmountMismatchError',
    'InvalidAnswerError',
    'AlipayPlusSetupError',
    'InquiryClientClosedError',
  ],
  './protocol': [
    'loadPrivateKey',
    'loadPublicKeys',
    'signMessage',
    'verifyMessage',
    'InquiryClient',
    'INQUIRY_PAYMENT_PATH',
    'classifyInquiryResponse',
    'notifyBodySchema',
  ],
  './store': ['OrderStore', 'assertAmount'],
  './migrate': ['applyMigrations', 'readMigrations', 'openDatabase', 'openPgSession', 'pgliteSession', 'DEFAULT_MIGRATIONS_DIR'],
  './simulator': ['createSimulator', 'AlipayPlusSimulator'],
  './admin': ['default', 'alipayPlusAdmin', 'ORDER_VIEWS'],
}

type Shape = Record<string, Record<string, string>>

function checkEntries(t: Test, entries: Shape) {
  t.same(Object.keys(entries).sort(), [...entryNames].sort(), 'every subpath in package.json exports was loaded')
  for (const [entry, names] of Object.entries(EXPECTED)) {
    const exported = entries[entry] ?? {}
    const missing = names.filter((name) => exported[name] === undefined)
    t.same(missing, [], `${entry} exports ${names.join(', ')}`)
  }
  // The root is the plugin's surface: its values are the plugin, DEFAULTS and error classes.
  const others = Object.keys(entries['.'] ?? {}).filter(
    (name) => !['default', 'fastifyAlipayPlus', 'DEFAULTS'].includes(name) && !name.endsWith('Error'),
  )
  t.same(others, [], 'the root exports no value beyond the plugin, DEFAULTS and errors')
}

// Consumers type-checked against the tarball's declarations, through each `types` condition.
const ESM_CONSUMER = `import Fastify from 'fastify'
import fastifyAlipayPlus, { InvalidOptionError, type AlipayPlusOptions, type PaymentResult } from 'fastify-alipayplus'
import { InquiryClient, signMessage, classifyInquiryResponse } from 'fastify-alipayplus/protocol'
import { OrderStore, type PaymentOrderRecord } from 'fastify-alipayplus/store'
import { applyMigrations, openDatabase, readMigrations } from 'fastify-alipayplus/migrate'
import { createSimulator } from 'fastify-alipayplus/simulator'

declare const options: AlipayPlusOptions
const app = Fastify()
await app.register(fastifyAlipayPlus, options)
export const result: Promise<PaymentResult> = app.awaitPaymentResult('order-1')
const store: OrderStore = app.alipayplus.store
export const order: Promise<PaymentOrderRecord | null> = store.getOrder('order-1')
export const client: InquiryClient = app.alipayplus.inquiryClient
export const code: string = new InvalidOptionError('x', 'y').code
// @ts-expect-error: clientId must be a string
await app.register(fastifyAlipayPlus, { ...options, clientId: 1 })
export { signMessage, classifyInquiryResponse, applyMigrations, openDatabase, readMigrations, createSimulator }
`
const CJS_CONSUMER = `import alipayplus = require('fastify-alipayplus')
import protocol = require('fastify-alipayplus/protocol')
import store = require('fastify-alipayplus/store')
import migrate = require('fastify-alipayplus/migrate')
import simulator = require('fastify-alipayplus/simulator')

const plugin: typeof alipayplus.fastifyAlipayPlus = alipayplus.default
const options: alipayplus.AlipayPlusOptions | undefined = undefined
export = { plugin, options, protocol: protocol.InquiryClient, store: store.OrderStore, migrate: migrate.applyMigrations, simulator: simulator.createSimulator }
`

t.test('the packed package, installed in a throw-away project', async (t) => {
  const work = await scratchDir(t, 'fap-pack-')
  const { tarball, files } = await packTarball(work)

  await t.test('the tarball holds exactly dist, the schemas and migrations, README and LICENSE', async (t) => {
    const listed = new Set(files)
    for (const target of conditionTargets) {
      t.ok(listed.has(target.replace(/^\.\//, '')), `${target} (an export) is in the tarball`)
    }
    const prismaFiles = await filesUnder('prisma')
    t.ok(prismaFiles.includes('prisma/schema.prisma'), 'the repository has prisma/schema.prisma')
    t.ok(prismaFiles.some((file) => /^prisma\/migrations\/[^/]+\/migration\.sql$/.test(file)), 'and migrations')
    for (const file of prismaFiles) t.ok(listed.has(file), `${file} is in the tarball`)
    for (const file of ['README.md', 'LICENSE', 'package.json']) t.ok(listed.has(file), `${file} is in the tarball`)

    const sources = new Set((await filesUnder('src')).map((file) => file.replace(/^src\//, '').replace(/\.ts$/, '')))
    const strays = files.filter((file) => {
      if (file.startsWith('dist/')) {
        // Every built file comes from a current source file: no stale output ships.
        return !sources.has(file.replace(/^dist\//, '').replace(/(\.d\.ts|\.js|\.js\.map)$/, ''))
      }
      return !file.startsWith('prisma/') && !['README.md', 'LICENSE', 'package.json'].includes(file)
    })
    t.same(strays, [], 'nothing else (no src/, test/, generated/, .data, stale dist files)')
  })

  // The versions this repository tests with, so that a warm npm cache serves them.
  const consumer = await emptyApp(join(work, 'consumer'), 'fap-consumer')
  await run(
    'npm',
    [
      'install',
      tarball,
      `fastify@${await installedVersion('fastify')}`,
      `@prisma/client@${await installedVersion('@prisma/client')}`,
      // The SQLite driver, an optional peer: the bin's migrate and doctor use it below.
      `@libsql/client@${await installedVersion('@libsql/client')}`,
      ...QUIET_INSTALL,
      '--prefer-offline',
      '--no-package-lock',
    ],
    consumer,
    'npm install of the packed tarball (needs the npm registry or a warm npm cache)',
  )
  await copyFile(join(fixtures, 'esm-app.mjs'), join(consumer, 'esm-app.mjs'))
  await copyFile(join(fixtures, 'cjs-app.cjs'), join(consumer, 'cjs-app.cjs'))

  await t.test('installing it runs nothing: no install-time script for npm to warn about', async (t) => {
    const installed = JSON.parse(await readFile(join(consumer, 'node_modules/fastify-alipayplus/package.json'), 'utf8')) as {
      scripts?: Record<string, string>
    }
    const installTime = ['preinstall', 'install', 'postinstall', 'prepare'].filter((name) => installed.scripts?.[name])
    t.same(installTime, [])
  })

  await t.test('an ESM app imports every entry point and registers the plugin', async (t) => {
    const { stdout } = await run(process.execPath, ['esm-app.mjs'], consumer, 'the ESM app (node esm-app.mjs)')
    const seen = JSON.parse(stdout) as {
      packageName: string
      entries: Shape
      defaultIsThePlugin: boolean
      decorators: Record<string, unknown>
      notifyRoute: { statusCode: number; resultCode: string }
      badOption: { code: string; isInvalidOptionError: boolean; message: string } | null
      migrations: { dir: string; names: string[] }
      sharedErrorClasses: boolean
    }
    t.equal(seen.packageName, pkg.name, './package.json is exported')
    checkEntries(t, seen.entries)
    t.ok(seen.defaultIsThePlugin, 'the default export is the plugin')
    t.same(
      seen.decorators,
      {
        awaitPaymentResult: 'function',
        alipayplus: ['admin', 'deliveryStats', 'health', 'inquiryClient', 'reconcileNow', 'stats', 'store', 'sweepDeliveries', 'wakeupStats'],
        storeIsOrderStore: true,
        inquiryClientIsInquiryClient: true,
      },
      'the decorators exist, made of the classes ./store and ./protocol export',
    )
    t.same(seen.notifyRoute, { statusCode: 401, resultCode: 'INVALID_SIGNATURE' }, 'the notifyPayment route refuses an unsigned request')
    t.match(
      seen.badOption,
      { code: 'FST_ALIPAYPLUS_INVALID_OPTION', isInvalidOptionError: true, message: /gatewayUrl/ },
      'a wrong option fails register with InvalidOptionError naming it',
    )
    const shipped = (await readdir(join(root, 'prisma/migrations'), { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort()
    t.same(
      seen.migrations,
      { dir: 'node_modules/fastify-alipayplus/prisma/migrations', names: shipped },
      'the packaged migrations are found from dist',
    )
    t.ok(seen.sharedErrorClasses, 'entry points share one set of error classes')
  })

  await t.test('a CommonJS app requires every entry point and registers the plugin', async (t) => {
    const { stdout } = await run(process.execPath, ['cjs-app.cjs'], consumer, 'the CommonJS app (node cjs-app.cjs)')
    const seen = JSON.parse(stdout) as { entries: Shape; decorators: Record<string, unknown>; sameInstanceAsImport: boolean }
    checkEntries(t, seen.entries)
    t.same(
      seen.decorators,
      { awaitPaymentResult: 'function', alipayplus: ['admin', 'deliveryStats', 'health', 'inquiryClient', 'reconcileNow', 'stats', 'store', 'sweepDeliveries', 'wakeupStats'] },
      'registering the required module object decorates the instance',
    )
    t.ok(seen.sameInstanceAsImport, 'require() and import() give the same module instance')
  })

  await t.test('TypeScript consumers (ESM and CommonJS) type-check against the packed declarations', async (t) => {
    await writeFile(join(consumer, 'esm-consumer.mts'), ESM_CONSUMER)
    await writeFile(join(consumer, 'cjs-consumer.cts'), CJS_CONSUMER)
    await writeFile(join(consumer, 'tsconfig.json'), consumerTsconfig(['esm-consumer.mts', 'cjs-consumer.cts']))
    const tsc = join(root, 'node_modules/typescript/bin/tsc')
    await t.resolves(run(process.execPath, [tsc, '-p', 'tsconfig.json'], consumer, 'tsc on the consumers'), 'no type error')
  })

  await t.test('the fastify-alipayplus command', (t) => checkInstalledCli(t, consumer, childEnv))
  // Last: the apps above ran without @opentelemetry/api (an optional peer npm does not install).
  await t.test('with the OpenTelemetry SDK installed and registered, the plugin records metrics and spans', async (t) => {
    const sdk = ['@opentelemetry/api', '@opentelemetry/sdk-metrics', '@opentelemetry/sdk-trace-base']
    const versions = await Promise.all(sdk.map(async (name) => `${name}@${await installedVersion(name)}`))
    await run('npm', ['install', ...versions, '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', '--no-package-lock', '--no-save'], consumer, 'npm install of the OpenTelemetry SDK')
    await copyFile(join(fixtures, 'otel-app.mjs'), join(consumer, 'otel-app.mjs'))
    const seen = JSON.parse((await run(process.execPath, ['otel-app.mjs'], consumer, 'the OpenTelemetry app (node otel-app.mjs)')).stdout) as {
      notifyStatus: number
      inquiry: string
      health: { status: string; database: string }
      metrics: Record<string, Array<Record<string, unknown>>>
      spans: Array<{ name: string; kind: number; attributes: Record<string, unknown> }>
    }
    t.same([seen.notifyStatus, seen.inquiry], [401, 'retry'])
    t.same(seen.health, { status: 'down', database: 'down' }, 'health() says the database is down')
    t.same(seen.metrics['alipayplus.notifications'], [{ 'alipayplus.answer': 'F', 'alipayplus.reason': 'INVALID_SIGNATURE' }])
    t.same(seen.metrics['alipayplus.client.operation.duration'], [
      { 'alipayplus.operation': 'inquiryPayment', 'alipayplus.outcome': 'retry', 'error.type': 'network' },
    ])
    t.match(seen.spans, [{ name: 'alipayplus inquiryPayment', kind: 2, attributes: { 'alipayplus.order_no': 'pack-otel-1', 'alipayplus.outcome': 'retry' } }])
  })
})
