// PGlite databases as data-directory dumps, made once and then copied for each test: one empty,
// one migrated. Starting PGlite from nothing (initdb in WebAssembly) and migrating it costs about
// three core-seconds; loading a dump costs about a quarter as much, and the fast tier opens
// dozens of these. The dumps are also kept on disk between test processes (test-cache.ts), keyed
// by the migrations and the PGlite version, so only the first process after a change pays the
// full price. The migrations are still applied from nothing: to the empty copies, by
// migrations.test.ts.
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { applyMigrations, DEFAULT_MIGRATIONS_DIR } from '../../src/database/apply-migrations.js'
import { pgliteSession } from '../../src/database/sql-session.js'
import { readCached, writeCached } from './test-cache.js'

type Template = 'empty' | 'migrated'
const templates = new Map<Template, Promise<Blob>>()

/** The dump to pass as PGlite's `loadDataDir`: a database with no tables, or every migration applied. */
export function pgliteDump(template: Template): Promise<Blob> {
  let dump = templates.get(template)
  if (dump === undefined) {
    dump = loadOrMake(template)
    templates.set(template, dump)
  }
  return dump
}

async function loadOrMake(template: Template): Promise<Blob> {
  const name = `pglite-${template}-${await templateKey()}.tar`
  const kept = readCached(name)
  if (kept !== undefined) return new Blob([kept])
  const dump = await makeDump(template)
  writeCached(name, new Uint8Array(await dump.arrayBuffer()))
  return dump
}

async function makeDump(template: Template): Promise<Blob> {
  const db = new PGlite('memory://')
  try {
    if (template === 'migrated') await applyMigrations(pgliteSession(db))
    else await db.waitReady
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
