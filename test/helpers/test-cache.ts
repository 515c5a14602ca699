// What the tests make once and then keep between test processes: PGlite dumps and RSA key pairs,
// in node_modules/.cache (git ignores it; `npm ci` starts it afresh). Each entry's name says what
// it depends on, so a changed input makes a new entry instead of reusing a stale one.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

// tap runs every test process from the repository root.
const CACHE_DIR = join(process.cwd(), 'node_modules', '.cache', 'fastify-alipayplus-tests')

/** The entry `name` of the cache, or undefined when there is none yet. */
export function readCached(name: string): Buffer | undefined {
  try {
    return readFileSync(join(CACHE_DIR, name))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** Stores `data` as the entry `name`, written aside and renamed: a process running beside this one never reads half an entry. */
export function writeCached(name: string, data: string | Uint8Array): void {
  const file = join(CACHE_DIR, name)
  mkdirSync(CACHE_DIR, { recursive: true })
  const partial = `${file}.${process.pid}.partial`
  writeFileSync(partial, data)
  renameSync(partial, file)
}
