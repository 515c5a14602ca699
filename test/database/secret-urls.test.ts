// No password of a connection URL shows in any error or log line: every URL-taking option
// (openDatabase's databaseUrl on PostgreSQL, MySQL and SQLite, the session openers, the
// wake-up's postgres and redis), malformed, unreachable or refused. Each error is looked at as
// an operator would see it: its message, JSON.stringify, util.inspect (a crash print) and
// pino's err serializer (what Fastify's logger writes).
import { Writable } from 'node:stream'
import { inspect } from 'node:util'
import Fastify from 'fastify'
import { stdSerializers } from 'pino'
import t, { type Test } from 'tap'
import { PrismaClient as MysqlPrismaClient } from '../../generated/mysql/client.js'
import { PrismaClient } from '../../generated/prisma/client.js'
import { PrismaClient as SqlitePrismaClient } from '../../generated/sqlite/client.js'
import { openDatabase, redactUrl } from '../../src/database/open-database.js'
import { openMysqlSession, openPgSession, openSqliteSession } from '../../src/database/sql-session.js'
import fastifyAlipayPlus, { type AlipayPlusOptions } from '../../src/index.js'
import { freshPGlite, MYSQL_ADMIN_URL, needsServer } from '../helpers/databases.js'
import { rsaKeyPair } from '../helpers/keys.js'

/** A password with characters that URLs encode: each form must stay hidden. */
const SECRET = 'Pw9f3c:x/y@z'
const FORMS = [SECRET, encodeURIComponent(SECRET), 'Pw9f3c']
const PW = encodeURIComponent(SECRET)

/** Everything an operator could see of `error`. */
function views(error: unknown): string[] {
  return [
    String((error as Error | undefined)?.message),
    JSON.stringify(error) ?? '',
    inspect(error, { depth: Infinity, showHidden: true }),
    JSON.stringify(stdSerializers.err(error as Error)),
  ]
}

function assertNoSecret(t: Test, what: string, text: string): void {
  const leaked = FORMS.find((form) => text.includes(form))
  t.notOk(leaked, `${what}: no password${leaked ? ` (found "${leaked}" in: ${text.slice(0, 400)})` : ''}`)
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (error: unknown) => error,
  )
}

async function assertRefusedWithoutSecret(t: Test, what: string, attempt: () => Promise<unknown>): Promise<void> {
  const error = await failure(attempt())
  t.ok(error, `${what}: refused`)
  for (const view of views(error)) assertNoSecret(t, what, view)
}

const MALFORMED = {
  postgresql: [`postgresql://app:${PW}@127.0.0.1:99999/shop`, `postgresql://app:${PW}@[db/shop`],
  mysql: [`mysql://root:${PW}@127.0.0.1:99999/shop`, `mariadb://root:${PW}@[db/shop`],
  sqlite: [`file://app:${PW}@[db/tmp/shop.db`, `file://app:${PW}@localhost/tmp/shop.db`],
}

t.test('openDatabase: a databaseUrl with a password never shows it', async (t) => {
  const clients = { postgresql: PrismaClient, mysql: MysqlPrismaClient, sqlite: SqlitePrismaClient } as const
  const unreachable = [`postgresql://app:${PW}@127.0.0.1:9/shop`, `mysql://root:${PW}@127.0.0.1:9/shop?acquireTimeout=2000`]
  for (const kind of ['postgresql', 'mysql', 'sqlite'] as const) {
    for (const databaseUrl of [...MALFORMED[kind], ...unreachable.filter((url) => url.startsWith(kind.slice(0, 5)))]) {
      await assertRefusedWithoutSecret(t, `${kind} ${redactUrl(databaseUrl)}`, () =>
        openDatabase({ PrismaClient: clients[kind], databaseUrl } as never),
      )
      // Without migrations the first error comes from the client's first query.
      await assertRefusedWithoutSecret(t, `${kind} ${redactUrl(databaseUrl)}, not migrated`, async () => {
        const db = await openDatabase({ PrismaClient: clients[kind], databaseUrl, migrate: false } as never)
        try {
          await (db.prisma as PrismaClient).paymentOrder.count()
        } finally {
          await db.close().catch(() => {})
        }
      })
    }
  }
})

t.test('openDatabase: a MySQL password that is refused never shows', await needsServer('mysql'), async (t) => {
  const url = new URL(MYSQL_ADMIN_URL)
  url.password = PW
  await assertRefusedWithoutSecret(t, 'wrong MySQL password', () => openDatabase({ PrismaClient: MysqlPrismaClient, databaseUrl: url.toString() }))
})

t.test('the session openers never show a password', async (t) => {
  for (const url of [...MALFORMED.postgresql, `postgresql://app:${PW}@127.0.0.1:9/shop`]) {
    await assertRefusedWithoutSecret(t, `openPgSession ${redactUrl(url)}`, () => openPgSession(url))
  }
  for (const url of [...MALFORMED.mysql, `mysql://root:${PW}@127.0.0.1:9/shop?acquireTimeout=2000`]) {
    await assertRefusedWithoutSecret(t, `openMysqlSession ${redactUrl(url)}`, () => openMysqlSession(url))
  }
  for (const url of MALFORMED.sqlite) {
    await assertRefusedWithoutSecret(t, `openSqliteSession ${redactUrl(url)}`, async () => {
      const session = await openSqliteSession(url)
      try {
        await session.query('SELECT 1')
      } finally {
        await session.close()
      }
    })
  }
})

t.test("the wake-up's postgres and redis URLs never show a password, in errors or in the log", async (t) => {
  const { prisma } = await freshPGlite(t)
  const merchant = rsaKeyPair()
  const alipay = rsaKeyPair()
  const wakeups = [
    { postgres: `postgresql://app:${PW}@127.0.0.1:99999/shop` },
    { postgres: `postgresql://app:${PW}@[db/shop` },
    { postgres: { connectionString: `postgresql://app:${PW}@[db/shop` } },
    { postgres: `postgresql://app:${PW}@127.0.0.1:9/shop` },
    { redis: `redis://:${PW}@127.0.0.1:99999` },
    { redis: `redis://app:${PW}@[cache` },
    { redis: `redis://:${PW}@127.0.0.1:9` },
  ]
  for (const wakeup of wakeups) {
    let logged = ''
    const stream = new Writable({
      write(chunk, _encoding, done) {
        logged += String(chunk)
        done()
      },
    })
    const app = Fastify({ logger: { level: 'trace', stream } })
    const what = `wakeup ${inspect(wakeup).replace(PW, '***')}`
    await assertRefusedWithoutSecret(t, what, async () => {
      try {
        await app.register(fastifyAlipayPlus, {
          prisma,
          clientId: 'CLIENT',
          privateKey: merchant.privatePem,
          alipayPublicKey: alipay.publicPem,
          gatewayUrl: 'https://open-sea-global.alipayplus.com',
          reconcile: false,
          wakeup,
        } as AlipayPlusOptions)
        await app.ready()
      } finally {
        await app.close()
      }
    })
    assertNoSecret(t, `${what}: the log`, logged)
  }
})

t.test('redactUrl hides passwords, also in unparseable, file: and query-string forms', async (t) => {
  t.equal(redactUrl(`postgresql://app:${PW}@[db/shop`), 'postgresql://app:***@[db/shop')
  t.equal(redactUrl(`file://app:${PW}@localhost/tmp/shop.db`), 'file://app:***@localhost/tmp/shop.db')
  t.equal(redactUrl(`mariadb://db/shop?user=root&password=${PW}`), 'mariadb://db/shop?user=root&password=***')
  t.equal(redactUrl('postgresql://app@db/shop'), 'postgresql://app@db/shop')
  t.equal(redactUrl('file:./data/app.db'), 'file:./data/app.db', 'a relative file: URL stays relative')
})
