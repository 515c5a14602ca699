// openDatabase picks the adapter by URL, migrates with that provider's migrations, and never
// shows a password.
import t from 'tap'
import { PrismaClient as MysqlPrismaClient } from '../../generated/mysql/client.js'
import { PrismaClient } from '../../generated/prisma/client.js'
import { PrismaClient as SqlitePrismaClient } from '../../generated/sqlite/client.js'
import { applyMigrations } from '../../src/database/apply-migrations.js'
import { openDatabase, redactUrl } from '../../src/database/open-database.js'
import { openPgSession } from '../../src/database/sql-session.js'
import { createEmptyMysql, createEmptyPostgres, createEmptySqlite, needsServer } from '../helpers/databases.js'

t.test('a file: URL opens SQLite through libsql, migrated', async (t) => {
  const url = await createEmptySqlite(t)
  const db = await openDatabase({ PrismaClient: SqlitePrismaClient, databaseUrl: url })
  t.teardown(() => db.close())
  t.equal(db.kind, 'sqlite')
  t.equal(db.location, url)
  t.same(db.migrations, { applied: ['20261126020000_init', '20261205000000_reliability_and_operations'], skipped: [] })
  await db.prisma.paymentOrder.create({ data: { orderNo: 'o-1', amount: '100', currency: 'USD' } })
  t.equal((await db.prisma.paymentOrder.findUniqueOrThrow({ where: { orderNo: 'o-1' } })).status, 'init')
})

t.test('a mysql:// URL opens MariaDB/MySQL; the password never shows', await needsServer('mysql'), async (t) => {
  const url = new URL(await createEmptyMysql(t))
  const db = await openDatabase({ PrismaClient: MysqlPrismaClient, databaseUrl: url.toString() })
  t.teardown(() => db.close())
  t.equal(db.kind, 'mysql')
  t.same(db.migrations, { applied: ['20261126020000_init', '20261205000000_reliability_and_operations'], skipped: [] })
  await db.prisma.paymentOrder.create({ data: { orderNo: 'Ab-1', amount: '100', currency: 'USD' } })
  t.equal(await db.prisma.paymentOrder.count({ where: { orderNo: 'ab-1' } }), 0, 'orderNo is compared exactly')

  const secret = 's3cr:t/pass'
  const wrong = new URL(url)
  wrong.password = encodeURIComponent(secret)
  const error = await openDatabase({ PrismaClient: MysqlPrismaClient, databaseUrl: wrong.toString() }).then(
    () => null,
    (error: Error) => error,
  )
  t.ok(error, 'a wrong password is refused')
  t.notMatch(String(error?.message), secret)
  t.notMatch(String(error?.message), encodeURIComponent(secret))
})

t.test('a postgresql:// URL may name a schema, where the migrations and the client go', await needsServer('postgresql'), async (t) => {
  const url = new URL(await createEmptyPostgres(t))
  url.searchParams.set('schema', 'payments')
  const db = await openDatabase({ PrismaClient, databaseUrl: url.toString() })
  t.teardown(() => db.close())
  t.equal(db.kind, 'postgresql')
  t.equal(db.migrations?.applied.length, 4)
  await db.prisma.paymentOrder.create({ data: { orderNo: 'o-1', amount: '100', currency: 'USD' } })
  url.searchParams.delete('schema')
  const session = await openPgSession(url.toString())
  t.teardown(() => session.close())
  t.same(
    await session.query(`SELECT table_schema FROM information_schema.tables WHERE table_name = 'PaymentOrder'`),
    [{ table_schema: 'payments' }],
  )
  t.same(await session.query(`SELECT "orderNo" FROM payments."PaymentOrder"`), [{ orderNo: 'o-1' }])

  // applyMigrations on a session of the same URL works in that schema too, not in public.
  url.searchParams.set('schema', 'billing')
  const billing = await openPgSession(url.toString())
  t.teardown(() => billing.close())
  t.equal((await applyMigrations(billing)).applied.length, 4)
  t.same(
    await session.query(`SELECT table_schema FROM information_schema.tables WHERE table_name = '_prisma_migrations' ORDER BY 1`),
    [{ table_schema: 'billing' }, { table_schema: 'payments' }],
  )
})

t.test('other URLs are refused, and locations hide passwords', async (t) => {
  await t.rejects(openDatabase({ PrismaClient, databaseUrl: 'mongodb://x@h/db' }), {
    code: 'FST_ALIPAYPLUS_INVALID_OPTION',
    message: /postgresql:\/\/, mysql:\/\/, mariadb:\/\/ or file:/,
  })
  t.equal(redactUrl('mysql://root:hunter2@db:3306/shop'), 'mysql://root:***@db:3306/shop')
  t.equal(redactUrl('postgresql://app@db/shop'), 'postgresql://app@db/shop')
  t.equal(redactUrl('file:./data/app.db'), 'file:./data/app.db', 'a relative file: URL stays relative')
})
