// A migrated, empty PGlite database as a data-directory dump, made once and then copied for each
// test. Starting PGlite from nothing (initdb in WebAssembly) and migrating it costs about three
// core-seconds; loading a dump costs under one, and the fast tier opens dozens of these. The dump
// is also kept on disk between test processes, keyed by the migrations and the PGlite version,
// so only the first process after a change pays the full price. The migrations themselves are
// still applied from nothing by test/database/migrations.test.ts and by every key change here.
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { applyMigrations, DEFAULT_MIGRATIONS_DIR } from '../../src/database/apply-migrations.js'
import { pgliteSession } from '../../src/database/sql-session.js'

const CACHE_DIR = join(process.cwd(), 'node_modules', '.cache', 'fastify-alipayplus-tests')

let template: Promise<Blob> | undefined

/** The dump to pass as PGlite's `loadDataDir`. */
export function migratedPGliteDump(): Promise<Blob> {
  template ??= loadOrMake()
  return template
}

async function loadOrMake(): Promise<Blob> {
  const file = join(CACHE_DIR, `pglite-${await templateKey()}.tar`)
  try {
    return new Blob([await readFile(file)])
  } catch {
    const dump = await makeDump()
    await mkdir(CACHE_DIR, { recursive: true })
    // Written aside and renamed, so a process running beside this one never reads half a file.
    const partial = `${file}.${process.pid}.partial`
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()))
    await rename(partial, file)
    return dump
  }
}

async function makeDump(): Promise<Blob> {
  const db = new PGlite('memory://')
  try {
    await applyMigrations(pgliteSession(db))
    return await db.dumpDataDir('none')
  } finally {
    await db.close()
  }
}

/** Changes with any migration's name or SQL and with the PGlite release. */
async function templateKey(): Promise<string> {
  const hash = createHash('sha256')
  // Its exports do not include package.json; the tests run from the repository root.
  hash.update(await readFile(join(process.cwd(), 'node_modules', '@electric-sql', 'pglite', 'package.json')))
  const entries = await readdir(DEFAULT_MIGRATIONS_DIR, { recursive: true, withFileTypes: true })
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name)).sort()
  for (const path of files) hash.update(path.slice(DEFAULT_MIGRATIONS_DIR.length)).update(await readFile(path))
  return hash.digest('hex').slice(0, 16)
}
