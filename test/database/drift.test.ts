// Schema and migrations must not drift apart. PostgreSQL and SQLite: the migrations are
// applied by our applier, then Prisma's own schema engine (the WASM build, offline) compares
// that database with the schema file, and must find nothing to do; it also reads our
// _prisma_migrations rows as `prisma migrate status` / `deploy` would, and our applier reads
// the rows `prisma migrate deploy` writes. MySQL (the engine build cannot run its connector):
// the migration is applied to a fresh MariaDB database and information_schema is compared
// with the meaning of prisma/mysql/schema.prisma, written out below.
import { readdir, readFile } from 'node:fs/promises'
import { PrismaLibSql } from '@prisma/adapter-libsql'
import t, { type Test } from 'tap'
import {
  migrationList,
  NO_FILTERS,
  openSchemaEngine,
  pgAdapterFactory,
  type MigrationList,
  type SchemaEngine,
} from '../../scripts/schema-engine.mjs'
import { applyMigrations, MIGRATIONS_DIRS } from '../../src/database/apply-migrations.js'
import { openMysqlSession, openPgSession, openSqliteSession, type SqlSession } from '../../src/database/sql-session.js'
import {
  createEmptyMysql,
  createEmptyPostgres,
  createEmptySqlite,
  needsServer,
} from '../helpers/databases.js'

const SCHEMAS = {
  postgresql: new URL('../../prisma/schema.prisma', import.meta.url),
  sqlite: new URL('../../prisma/sqlite/schema.prisma', import.meta.url),
  mysql: new URL('../../prisma/mysql/schema.prisma', import.meta.url),
}

async function shippedMigrations(dir: string): Promise<MigrationList> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
  return migrationList(dir, names)
}

async function withSession<T>(open: () => Promise<SqlSession>, fn: (session: SqlSession) => Promise<T>): Promise<T> {
  const session = await open()
  try {
    return await fn(session)
  } finally {
    await session.close()
  }
}

/** The engine's view of a database: what it would still change, and what migrate status says. */
async function checkAgainstEngine(
  t: Test,
  engineFor: (url: string) => Promise<{ engine: SchemaEngine; close(): Promise<void> }>,
  emptyDatabase: () => Promise<string>,
  openSession: (url: string) => Promise<SqlSession>,
  provider: 'postgresql' | 'sqlite',
): Promise<void> {
  const schemaText = await readFile(SCHEMAS[provider], 'utf8')
  const files = [{ path: 'schema.prisma', content: schemaText }]
  const list = await shippedMigrations(MIGRATIONS_DIRS[provider])
  const names = list.migrationDirectories.map((entry) => entry.path)

  t.test('the migrations, applied in process, make exactly the schema', async (t) => {
    const url = await emptyDatabase()
    t.same((await withSession(() => openSession(url), (session) => applyMigrations(session))).applied, names)
    const { engine } = await engineFor(url)
    const diff = await engine.diff({
      from: { tag: 'schemaDatasource', files, configDir: '.' },
      to: { tag: 'schemaDatamodel', files },
      script: true,
      exitCode: true,
      filters: NO_FILTERS,
    })
    t.equal(diff.exitCode, 0, `the engine would change nothing; it says:\n${diff.stdout}`)

    const status = await engine.diagnoseMigrationHistory({ migrationsList: list, optInToShadowDatabase: false, filters: NO_FILTERS })
    t.same(
      status,
      { editedMigrationNames: [], failedMigrationNames: [], hasMigrationsTable: true, history: null },
      '`prisma migrate status` reads our rows: up to date, nothing edited or failed',
    )
    t.same(
      await engine.applyMigrations({ migrationsList: list, filters: NO_FILTERS }),
      { appliedMigrationNames: [] },
      '`prisma migrate deploy` finds nothing to apply',
    )
  })

  t.test('the rows `prisma migrate deploy` writes are read by the in-process applier', async (t) => {
    const url = await emptyDatabase()
    const { engine, close } = await engineFor(url)
    t.same(await engine.applyMigrations({ migrationsList: list, filters: NO_FILTERS }), { appliedMigrationNames: names })
    // Prisma keeps its migration lock until its connection closes.
    await close()
    t.same(await withSession(() => openSession(url), (session) => applyMigrations(session)), { applied: [], skipped: names })
  })
}

t.test('PostgreSQL', await needsServer('postgresql'), async (t) => {
  const factories: Array<{ close(): Promise<void> }> = []
  t.teardown(() => Promise.all(factories.map((factory) => factory.close())))
  const schemaText = await readFile(SCHEMAS.postgresql, 'utf8')
  await checkAgainstEngine(
    t,
    async (url) => {
      const factory = await pgAdapterFactory({ url })
      factories.push(factory)
      return { engine: await openSchemaEngine({ schemaText, adapterFactory: factory }), close: () => factory.close() }
    },
    () => createEmptyPostgres(t),
    openPgSession,
    'postgresql',
  )
})

t.test('SQLite', async (t) => {
  const schemaText = await readFile(SCHEMAS.sqlite, 'utf8')
  await checkAgainstEngine(
    t,
    async (url) => ({
      engine: await openSchemaEngine({ schemaText, adapterFactory: new PrismaLibSql({ url }) }),
      close: async () => {},
    }),
    () => createEmptySqlite(t),
    openSqliteSession,
    'sqlite',
  )
})

// ---------------------------------------------------------------------------------------------
// MySQL / MariaDB: prisma/mysql/schema.prisma, as Prisma maps it (String -> VARCHAR(191),
// DateTime -> DATETIME(3), now() -> CURRENT_TIMESTAMP(3), Int -> INT, enums inline, uuid()
// made by the client), written out by hand. Defaults are compared without quotes and in
// upper case, so MySQL 8 and MariaDB spell them alike.

type Column = [name: string, type: string, nullable: 'YES' | 'NO', defaultValue: string | null]

const MYSQL_COLUMNS: Record<string, Column[]> = {
  PaymentOrder: [
    ['orderNo', 'varchar(64)', 'NO', null],
    ['status', "enum('init','SUCCESS','FAIL')", 'NO', 'INIT'],
    ['amount', 'varchar(191)', 'NO', null],
    ['currency', 'varchar(191)', 'NO', null],
    ['paymentId', 'varchar(191)', 'YES', null],
    ['resultCode', 'varchar(191)', 'YES', null],
    ['resultMessage', 'text', 'YES', null],
    ['resultSource', "enum('notify','inquiry','cancel','manual')", 'YES', null],
    ['paymentTime', 'datetime(3)', 'YES', null],
    ['finalizedAt', 'datetime(3)', 'YES', null],
    ['finalEventId', 'varchar(191)', 'YES', null],
    ['leaseOwner', 'varchar(191)', 'YES', null],
    ['leaseUntil', 'datetime(3)', 'YES', null],
    ['attention', 'varchar(191)', 'YES', null],
    ['deliveredAt', 'datetime(3)', 'YES', null],
    ['deliveryAttempts', 'int', 'NO', '0'],
    ['deliveryError', 'text', 'YES', null],
    ['deliveryOwner', 'varchar(191)', 'YES', null],
    ['deliveryUntil', 'datetime(3)', 'YES', null],
    ['deliveryDueAt', 'datetime(3)', 'YES', null],
    ['deliveryGaveUpAt', 'datetime(3)', 'YES', null],
    ['deliveryRequestedBy', 'varchar(191)', 'YES', null],
    ['cancelState', 'varchar(191)', 'YES', null],
    ['cancelSentAt', 'datetime(3)', 'YES', null],
    ['nextCheckAt', 'datetime(3)', 'YES', null],
    ['notFoundCount', 'int', 'NO', '0'],
    ['createdAt', 'datetime(3)', 'NO', 'CURRENT_TIMESTAMP(3)'],
    ['updatedAt', 'datetime(3)', 'NO', null],
  ],
  PaymentEvent: [
    ['id', 'varchar(191)', 'NO', null],
    ['orderNo', 'varchar(64)', 'NO', null],
    ['source', "enum('notify','inquiry','cancel','manual')", 'NO', null],
    ['resultStatus', 'varchar(191)', 'NO', null],
    ['resultCode', 'varchar(191)', 'YES', null],
    ['reason', 'varchar(191)', 'YES', null],
    ['payload', 'mediumtext', 'NO', null],
    ['digest', 'char(64)', 'NO', null],
    ['deliveries', 'int', 'NO', '1'],
    ['createdAt', 'datetime(3)', 'NO', 'CURRENT_TIMESTAMP(3)'],
  ],
}

// [table, index, unique, columns in order]
const MYSQL_INDEXES: Array<[string, string, boolean, string[]]> = [
  ['PaymentEvent', 'PRIMARY', true, ['id']],
  ['PaymentEvent', 'PaymentEvent_orderNo_createdAt_idx', false, ['orderNo', 'createdAt']],
  ['PaymentEvent', 'PaymentEvent_orderNo_digest_key', true, ['orderNo', 'digest']],
  ['PaymentOrder', 'PRIMARY', true, ['orderNo']],
  ['PaymentOrder', 'PaymentOrder_status_createdAt_idx', false, ['status', 'createdAt']],
  ['PaymentOrder', 'PaymentOrder_status_nextCheckAt_idx', false, ['status', 'nextCheckAt']],
  ['PaymentOrder', 'PaymentOrder_deliveredAt_status_deliveryDueAt_idx', false, ['deliveredAt', 'status', 'deliveryDueAt']],
]

// [table, constraint, column, referenced table, referenced column, ON UPDATE, ON DELETE]
const MYSQL_FOREIGN_KEYS = [
  ['PaymentEvent', 'PaymentEvent_orderNo_fkey', 'orderNo', 'PaymentOrder', 'orderNo', 'CASCADE', 'RESTRICT'],
]

/** Scalar fields of each model in a schema file: name and whether it is optional. */
function schemaFields(schemaText: string): Record<string, Array<[string, 'YES' | 'NO']>> {
  const models: Record<string, Array<[string, 'YES' | 'NO']>> = {}
  for (const [, model, body] of schemaText.matchAll(/^model (\w+) \{([^}]*)\}/gm)) {
    const names = [...schemaText.matchAll(/^model (\w+)/gm)].map((match) => match[1])
    models[model!] = [...body!.matchAll(/^\s+(\w+)\s+(\w+)(\[\]|\?)?/gm)]
      .filter(([, , type, suffix]) => !names.includes(type) && suffix !== '[]')
      .map(([, name, , suffix]) => [name!, suffix === '?' ? 'YES' : 'NO'])
  }
  return models
}

function normaliseDefault(value: unknown): string | null {
  if (value === null || value === undefined || value === 'NULL') return null
  return String(value).replace(/^'(.*)'$/, '$1').toUpperCase()
}

t.test('MySQL/MariaDB: the migration makes exactly prisma/mysql/schema.prisma', await needsServer('mysql'), async (t) => {
  // The table above must be the schema's: same models, fields, order and optionality.
  t.same(
    schemaFields(await readFile(SCHEMAS.mysql, 'utf8')),
    Object.fromEntries(
      Object.entries(MYSQL_COLUMNS).map(([table, columns]) => [table, columns.map(([name, , nullable]) => [name, nullable])]),
    ),
    'the expected columns below are those of prisma/mysql/schema.prisma',
  )
  const url = await createEmptyMysql(t)
  await withSession(() => openMysqlSession(url), async (session) => {
    t.same((await applyMigrations(session)).applied, ['20261126020000_init', '20261205000000_reliability_and_operations'])

    for (const [table, expected] of Object.entries(MYSQL_COLUMNS)) {
      const rows = await session.query<Record<string, unknown>>(
        `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS dflt, EXTRA AS extra
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
        [table],
      )
      t.same(
        rows.map((row): Column => [
          String(row.name),
          // MySQL 8 drops display widths (int), MariaDB keeps them (int(11)).
          String(row.type).replace(/^int\(\d+\)$/, 'int'),
          row.nullable as 'YES' | 'NO',
          normaliseDefault(row.dflt),
        ]),
        expected,
        `${table}: every column, type, nullability and default, in order`,
      )
      t.same(
        rows.filter((row) => String(row.extra).toLowerCase().includes('on update')).map((row) => row.name),
        [],
        `${table}: no ON UPDATE column (Prisma sets updatedAt itself)`,
      )
    }

    const indexRows = await session.query<{ tbl: string; idx: string; non_unique: unknown; col: string }>(
      `SELECT TABLE_NAME AS tbl, INDEX_NAME AS idx, NON_UNIQUE AS non_unique, COLUMN_NAME AS col
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('PaymentOrder', 'PaymentEvent')
       ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    )
    const indexes = new Map<string, [string, string, boolean, string[]]>()
    for (const row of indexRows) {
      const key = `${row.tbl}.${row.idx}`
      const index = indexes.get(key) ?? [row.tbl, row.idx, Number(row.non_unique) === 0, []]
      index[3].push(row.col)
      indexes.set(key, index)
    }
    const byName = (a: [string, string, ...unknown[]], b: [string, string, ...unknown[]]) =>
      `${a[0]}.${a[1]}`.localeCompare(`${b[0]}.${b[1]}`)
    t.same([...indexes.values()].sort(byName), [...MYSQL_INDEXES].sort(byName), 'every index and unique constraint')

    const foreignKeys = await session.query<Record<string, unknown>>(
      `SELECT k.TABLE_NAME AS tbl, k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS col, k.REFERENCED_TABLE_NAME AS ref_tbl,
              k.REFERENCED_COLUMN_NAME AS ref_col, r.UPDATE_RULE AS on_update, r.DELETE_RULE AS on_delete
       FROM information_schema.KEY_COLUMN_USAGE k
       JOIN information_schema.REFERENTIAL_CONSTRAINTS r
         ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
       WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
       ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
    )
    t.same(
      foreignKeys.map((row) => [row.tbl, row.name, row.col, row.ref_tbl, row.ref_col, row.on_update, row.on_delete]),
      MYSQL_FOREIGN_KEYS,
      'every foreign key',
    )

    const tables = await session.query<{ name: string; collation: string; engine: string }>(
      `SELECT TABLE_NAME AS name, TABLE_COLLATION AS collation, ENGINE AS engine FROM information_schema.TABLES
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('PaymentOrder', 'PaymentEvent') ORDER BY TABLE_NAME`,
    )
    t.same(
      tables.map((row) => [row.name, row.collation, row.engine]),
      [
        ['PaymentEvent', 'utf8mb4_bin', 'InnoDB'],
        ['PaymentOrder', 'utf8mb4_bin', 'InnoDB'],
      ],
      'utf8mb4_bin, transactional tables',
    )
    const textColumns = await session.query<{ name: string }>(
      `SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME) AS name FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('PaymentOrder', 'PaymentEvent')
         AND COLLATION_NAME IS NOT NULL AND COLLATION_NAME <> 'utf8mb4_bin'`,
    )
    t.same(textColumns, [], 'every text column compares bytes')

    // What the binary collation is for: orderNo is exact, as on PostgreSQL and SQLite.
    await session.exec(
      `INSERT INTO PaymentOrder (orderNo, amount, currency, updatedAt) VALUES ('abc', '1', 'USD', NOW(3)), ('ABC', '1', 'USD', NOW(3))`,
    )
    t.same(await session.query(`SELECT orderNo FROM PaymentOrder WHERE orderNo = 'abc'`), [{ orderNo: 'abc' }])
  })
})
