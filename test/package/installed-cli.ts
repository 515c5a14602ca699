// The package's command as a merchant's developer runs it: the bin installed from the packed
// tarball (node_modules/.bin/fastify-alipayplus), in the throw-away project of pack.test.ts.
// `simulate` runs as its own process and serves a merchant app started separately; `trigger`
// resolves that app's waiter; `migrate` and `doctor` work on a real SQLite file.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { Test } from 'tap'
import { MIGRATIONS_DIRS } from '../../src/database/apply-migrations.js'
import { freshSqlite } from '../helpers/databases.js'
import { rsaKeyPair } from '../helpers/keys.js'
import { buildMerchantApp, CLIENT_ID } from '../helpers/merchant-app.js'

interface Ran {
  code: number
  stdout: string
  stderr: string
}

function runCli(bin: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(bin, args, { cwd, env }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
      resolve({ code, stdout, stderr })
    })
  })
}

/** A port nobody listens on now, for an app whose URL another process must know first. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Starts `simulate` and resolves once it has printed its settings (its gateway URL). */
function startSimulate(bin: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; gatewayUrl: string; printed: string; exited: Promise<number | null> }> {
  const child = spawn(bin, ['simulate', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let printed = ''
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      printed += chunk.toString()
      const url = /listening on (http:\/\/\S+)/.exec(printed)?.[1]
      if (url !== undefined && printed.includes('Ctrl-C to stop.')) resolve({ child, gatewayUrl: url, printed, exited })
    })
    child.stderr!.on('data', (chunk: Buffer) => (printed += chunk.toString()))
    void exited.then((code) => reject(new Error(`simulate exited (${code}) before it was ready:\n${printed}`)))
  })
}

export async function checkInstalledCli(t: Test, consumer: string, env: NodeJS.ProcessEnv): Promise<void> {
  const bin = join(consumer, 'node_modules/.bin/fastify-alipayplus')

  await t.test('every command prints its --help; mistakes exit 2 and name the fix', async (t) => {
    const top = await runCli(bin, ['--help'], consumer, env)
    t.equal(top.code, 0)
    for (const command of ['simulate', 'trigger', 'migrate', 'doctor']) {
      t.match(top.stdout, new RegExp(`^  ${command} `, 'm'), `--help lists ${command}`)
      const help = await runCli(bin, [command, '--help'], consumer, env)
      t.equal(help.code, 0, `${command} --help exits 0`)
      t.match(help.stdout, new RegExp(`^Usage: fastify-alipayplus ${command}`), `${command} --help shows its usage`)
    }
    const unknown = await runCli(bin, ['simulte'], consumer, env)
    t.equal(unknown.code, 2)
    t.match(unknown.stderr, /unknown command "simulte"/)
    const noArgs = await runCli(bin, ['trigger'], consumer, env)
    t.equal(noArgs.code, 2)
    t.match(noArgs.stderr, /needs <orderNo> and <kind>.*\n.*trigger --help/)
    const badFlag = await runCli(bin, ['migrate', '--databse-url', 'file:x.db'], consumer, env)
    t.equal(badFlag.code, 2)
    t.match(badFlag.stderr, /--databse-url/)
  })

  const dbUrl = `file:${join(consumer, 'cli.db')}`
  await t.test('migrate applies the shipped SQLite migrations once', async (t) => {
    const shipped = (await readdir(MIGRATIONS_DIRS.sqlite, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()
    const first = await runCli(bin, ['migrate', '--database-url', dbUrl], consumer, env)
    t.equal(first.code, 0, first.stderr)
    t.same([...first.stdout.matchAll(/^ {2}applied {2}(\S+)$/gm)].map((m) => m[1]), shipped, 'every shipped migration applied, in order')
    const again = await runCli(bin, ['migrate'], consumer, { ...env, DATABASE_URL: dbUrl })
    t.equal(again.code, 0, again.stderr)
    t.match(again.stdout, /Up to date\./, 'a second run (DATABASE_URL) finds nothing to do')
  })

  await t.test('simulate + trigger resolve a waiter in a separately started merchant app; doctor checks it all', async (t) => {
    const merchantPort = await freePort()
    const keysDir = join(consumer, '.alipayplus-sim')
    const sim = await startSimulate(
      bin,
      ['--forward-to', `http://127.0.0.1:${merchantPort}/alipayplus/notifyPayment`, '--port', '0', '--client-id', CLIENT_ID, '--keys-dir', keysDir],
      consumer,
      env,
    )
    t.teardown(() => void sim.child.kill('SIGKILL'))
    t.notMatch(sim.printed, /PRIVATE KEY/, 'no key material printed, only where the keys are')
    const keyFile = (name: string) => join(keysDir, name)

    const db = await freshSqlite(t)
    const unused = rsaKeyPair()
    const { app } = await buildMerchantApp(t, {
      prisma: db.prisma,
      merchant: unused,
      alipay: unused,
      // The settings simulate printed: its gateway and the keys it wrote.
      gatewayUrl: sim.gatewayUrl,
      privateKey: await readFile(keyFile('merchant-private.pem'), 'utf8'),
      alipayPublicKey: await readFile(keyFile('alipay-public.pem'), 'utf8'),
      // One inquiry at once, the next in ten minutes: the result must come by notification.
      polling: { minTimeoutMs: 600_000, maxTimeoutMs: 600_000, factor: 1, randomize: false, maxRetryTimeMs: 1_200_000 },
    })
    await app.listen({ port: merchantPort, host: '127.0.0.1' })
    await app.alipayplus.store.createOrder({ orderNo: 'cli-order-1', amount: { currency: 'USD', value: '100' } })
    const waiter = app.awaitPaymentResult('cli-order-1')

    const triggered = await runCli(bin, ['trigger', 'cli-order-1', 'success', '--amount', 'USD:100', '--to', sim.gatewayUrl], consumer, env)
    t.equal(triggered.code, 0, triggered.stderr)
    t.match(triggered.stdout, /cli-order-1: SUCCESS/)
    t.match(await waiter, { orderNo: 'cli-order-1', status: 'SUCCESS', source: 'notify', final: true }, 'the waiter resolves from the notification')

    const again = await runCli(bin, ['trigger', 'cli-order-1', 'fail', '--to', sim.gatewayUrl], consumer, env)
    t.equal(again.code, 1, 'a payment completed once cannot complete again')
    t.match(again.stderr, /could not complete cli-order-1/)

    const common = ['--client-id', CLIENT_ID, '--gateway-url', sim.gatewayUrl, '--private-key-file', keyFile('merchant-private.pem')]
    const healthy = await runCli(
      bin,
      ['doctor', ...common, '--alipay-public-key-file', keyFile('alipay-public.pem'), '--merchant-public-key-file', keyFile('merchant-public.pem'), '--database-url', dbUrl],
      consumer,
      env,
    )
    t.equal(healthy.code, 0, healthy.stdout + healthy.stderr)
    t.match(healthy.stdout, /^ok {3}private key/m)
    t.match(healthy.stdout, /^ok {3}key pair/m)
    t.match(healthy.stdout, /^ok {3}gateway: .*verified/m)
    t.match(healthy.stdout, /^ok {3}database: .*every shipped migration applied/m)

    // Alipay+'s key swapped for ours, and a database never migrated.
    const sick = await runCli(
      bin,
      ['doctor', ...common, '--alipay-public-key-file', keyFile('merchant-public.pem'), '--database-url', `file:${join(consumer, 'empty.db')}`],
      consumer,
      env,
    )
    t.equal(sick.code, 1)
    t.match(sick.stdout, /^FAIL gateway: INVALID_RESPONSE_SIGNATURE.*\n {5}fix: .*Alipay\+ public key/m)
    t.match(sick.stdout, /^FAIL database: .*not migrated.*\n {5}fix: .*fastify-alipayplus migrate/m)
    t.notMatch(sick.stdout + sick.stderr, /PRIVATE KEY/, 'doctor never prints key material')

    sim.child.kill('SIGTERM')
    t.equal(await sim.exited, 0, 'simulate stops cleanly on SIGTERM')
  })
}
