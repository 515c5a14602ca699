// Prisma's own schema engine, offline: the WebAssembly build (@prisma/schema-engine-wasm, pinned
// to the build that matches Prisma 7.10) driven through a JavaScript driver adapter, because the
// CLI's `prisma migrate dev/diff` need a native engine that cannot be downloaded here.
// A dev tool: it writes and checks migrations; the plugin's runtime never loads it.
//
//   npm run migration:diff -- --schema prisma/sqlite/schema.prisma
//   npm run migration:diff -- --schema prisma/schema.prisma --from-schema /tmp/old.prisma --out prisma/migrations/x/migration.sql
//
// Without --from-schema the diff starts from an empty database (an `_init` migration). The
// output is exactly what `prisma migrate dev` writes into migration.sql.
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const require = createRequire(import.meta.url)
const NO_FILTERS = { externalTables: [], externalEnums: [] }

let enginePromise
/** The engine's `SchemaEngine` class, instantiated once per process. */
async function engineModule() {
  enginePromise ??= (async () => {
    const glue = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')
    const wasmPath = join(dirname(glue), 'schema_engine_bg.wasm')
    const bg = await import(pathToFileURL(glue).href)
    // Node 20 cannot import a .wasm module: instantiate it by hand with its JS glue as imports.
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), { './schema_engine_bg.js': bg })
    bg.__wbg_set_wasm(instance.exports)
    instance.exports.__wbindgen_start()
    // The engine reports Rust panics through this global; without it a panic is an opaque trap.
    globalThis.PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message(message) {
        lastPanic = message
      },
    }
    return bg
  })()
  return enginePromise
}
let lastPanic = ''

/** The provider named in a schema's datasource block. */
export function schemaProvider(schemaText) {
  const match = /datasource\s+\w+\s*\{[^}]*provider\s*=\s*"(\w+)"/.exec(schemaText)
  if (!match) throw new Error('no datasource provider in the schema')
  return match[1]
}

/**
 * A schema engine over `adapterFactory` (a Prisma driver adapter factory with
 * connectToShadowDb), or over Prisma's mock adapter when only datamodels are compared.
 */
export async function openSchemaEngine({ schemaText, schemaPath = 'schema.prisma', adapterFactory }) {
  const bg = await engineModule()
  const { bindMigrationAwareSqlAdapterFactory, mockMigrationAwareAdapterFactory } = await import(
    '@prisma/driver-adapter-utils',
  )
  const provider = schemaProvider(schemaText)
  const factory = adapterFactory ?? (await defaultAdapterFactory(provider, mockMigrationAwareAdapterFactory))
  const logs = []
  try {
    return await bg.SchemaEngine.new(
      { datamodels: [[schemaPath, schemaText]] },
      (line) => logs.push(line),
      bindMigrationAwareSqlAdapterFactory(factory),
    )
  } catch (error) {
    throw new Error(`schema engine failed to start: ${lastPanic || error}`)
  }
}

/** The PostgreSQL server the engine talks to (it reads the server version at start-up). */
export const ENGINE_PG_URL =
  process.env.SCHEMA_ENGINE_PG_URL ?? process.env.TEST_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'

// SQLite needs no database to compare datamodels, so Prisma's mock adapter does. The
// PostgreSQL connector asks a live server at start-up (mock answers fail it), and never writes
// there for a datamodel diff.
async function defaultAdapterFactory(provider, mock) {
  if (provider === 'postgresql') return pgAdapterFactory({ url: ENGINE_PG_URL })
  return mock(provider)
}

/**
 * A migration-aware @prisma/adapter-pg factory for the engine, with two fixes for 7.10:
 * - PrismaPg's own connectToShadowDb passes `{ ...config, database }` to pg, where the
 *   connectionString wins over `database`: its "shadow" database is the main one, and the
 *   engine would apply migrations there. The shadow database here is `shadowUrl`, or none.
 * - The engine's schema describer reads pg_catalog columns of PostgreSQL's internal "char"
 *   type (OID 18), which the adapter refuses (UnsupportedNativeDataType). pg returns them as
 *   strings already, so they are presented as text (OID 25).
 */
export async function pgAdapterFactory({ url, shadowUrl }) {
  const { PrismaPg } = await import('@prisma/adapter-pg')
  const { default: pg } = await import('pg')
  const pools = []
  const adapter = (connectionString) => {
    const pool = new pg.Pool({ connectionString })
    pools.push(pool)
    const query = pool.query.bind(pool)
    pool.query = async (...args) => {
      const result = await query(...args)
      for (const field of result?.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25
      return result
    }
    return new PrismaPg(pool, { disposeExternalPool: true })
  }
  return {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: () => adapter(url).connect(),
    connectToShadowDb: async () => {
      if (!shadowUrl) throw new Error('no shadow database given (pgAdapterFactory shadowUrl)')
      return adapter(shadowUrl).connect()
    },
    /** Ends every pool this factory opened (the engine does not give its connections back). */
    close: () => Promise.all(pools.splice(0).map((pool) => pool.end())),
  }
}

/** The migration.sql `prisma migrate dev` would write to go from `fromSchema` (or empty) to `toSchema`. */
export async function diffSql({ toSchema, fromSchema, adapterFactory }) {
  const engine = await openSchemaEngine({ schemaText: toSchema, adapterFactory })
  const from = fromSchema
    ? { tag: 'schemaDatamodel', files: [{ path: 'from.prisma', content: fromSchema }] }
    : { tag: 'empty' }
  const to = { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: toSchema }] }
  try {
    const result = await engine.diff({ from, to, script: true, exitCode: null, filters: NO_FILTERS })
    return result.stdout ?? ''
  } catch (error) {
    throw new Error(`schema engine diff failed: ${lastPanic || error?.message || error}`)
  }
}

/** Migrations directory in the shape the engine takes (what the CLI reads from disk). */
export async function migrationList(baseDir, names) {
  const lockPath = join(baseDir, 'migration_lock.toml')
  const lockContent = await readFile(lockPath, 'utf8').catch(() => null)
  return {
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      names.map(async (name) => ({
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: { tag: 'ok', value: await readFile(join(baseDir, name, 'migration.sql'), 'utf8') },
        },
      })),
    ),
  }
}

export { NO_FILTERS }

async function main() {
  const { values } = parseArgs({
    options: {
      schema: { type: 'string' },
      'from-schema': { type: 'string' },
      out: { type: 'string' },
    },
  })
  if (!values.schema) {
    console.error('usage: schema-engine.mjs --schema <schema.prisma> [--from-schema <old.prisma>] [--out <migration.sql>]')
    process.exit(2)
  }
  const toSchema = await readFile(resolve(values.schema), 'utf8')
  const fromSchema = values['from-schema'] ? await readFile(resolve(values['from-schema']), 'utf8') : undefined
  const sql = await diffSql({ toSchema, fromSchema })
  if (values.out) {
    await mkdir(dirname(resolve(values.out)), { recursive: true })
    await writeFile(resolve(values.out), sql)
    console.error(`wrote ${values.out}`)
  } else {
    process.stdout.write(sql)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error) => {
    console.error(error.message ?? error)
    process.exit(1)
  })
}
