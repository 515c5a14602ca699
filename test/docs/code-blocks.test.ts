// Every code block of README.md and docs/*.md is exercised, so that none can rot:
// - ```ts blocks are type-checked against the packed package's declarations, in a new app that
//   followed the README's Quick start (```ts fragment: after a prelude declaring `app`,
//   `prisma` and `options`); ```ts run blocks are also run there, SQLite first, and must print
//   a resolved result and exit (close() returned);
// - ```bash quickstart blocks are run, as written, to make that app (the tarball in place of
//   `fastify-alipayplus`); the PostgreSQL variant's Quick start runs where a server is reachable;
// - every other ```bash block is checked: the npm scripts, npx bins and commands it names exist.
// Blocks in other languages (sql, prisma, output) are not code a reader runs as is.
// Needs the npm registry (or an npm cache holding what the Quick start installs).
import { access, constants, writeFile } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import t from 'tap'
import { createEmptyPostgres, needsServer } from '../helpers/databases.js'
import { type CodeBlock, codeBlocks, projectMarkdown } from '../helpers/markdown.js'
import { consumerTsconfig, OFFLINE_PRISMA, packTarball, pkg, quickstartScript, root, run, scratchDir } from '../helpers/packed-package.js'

// Installs, two Prisma generations, three runs and a type-check: beyond the default per-file limit.
t.setTimeout(900_000)

const TAGS: Record<string, string[]> = {
  ts: ['run', 'fragment'],
  bash: ['quickstart', 'quickstart-postgres'],
}
// What a ```ts fragment is given: what the surrounding text says the reader already has.
const FRAGMENT_PRELUDE = `import type { FastifyInstance as DocFastifyInstance } from 'fastify'
import type { AlipayPlusCommonOptions as DocOptions } from 'fastify-alipayplus'
import type { PrismaClient as DocPrismaClient } from './generated/prisma/client.js'
declare const app: DocFastifyInstance
declare const prisma: DocPrismaClient
declare const options: DocOptions
`
// A run block that hangs (a close() waiting on a keep-alive connection took 70 s) is stopped
// and fails: far above what a run takes, far below the test's own limit.
const RUN_LIMIT_MS = 60_000

const blocks = (await projectMarkdown()).flatMap(({ file, text }) => codeBlocks(file, text))
const where = (block: CodeBlock) => `${block.file}:${block.line}`
const tagged = (lang: string, tag: string) => blocks.filter((block) => block.lang === lang && block.tags.includes(tag))
const fileName = (block: CodeBlock) => `doc-${block.file.replace(/[/.]/g, '-')}-${block.line}.ts`

t.test('the blocks are found, in known languages with known tags', async (t) => {
  t.ok(blocks.some((block) => block.file === 'README.md' && block.lang === 'ts'), 'the README has TypeScript blocks')
  for (const block of blocks) {
    if (block.lang === 'js') t.fail(`${where(block)}: write examples as \`\`\`ts, which is type-checked`)
    const unknown = block.tags.filter((tag) => !(TAGS[block.lang] ?? []).includes(tag))
    t.same(unknown, [], `${where(block)}: \`\`\`${block.lang} ${block.tags.join(' ')}`)
  }
  t.equal(tagged('bash', 'quickstart').length, 1, 'one Quick start install block (SQLite)')
  t.equal(tagged('bash', 'quickstart-postgres').length, 1, 'one for the PostgreSQL variant')
  t.ok(tagged('ts', 'run').some((block) => block.file === 'README.md'), 'the README Quick start is run')
})

// ---------------------------------------------------------------------------------------------
// bash blocks: the commands they name exist.

/**
 * The simple commands of a shell text, as word lists: quotes respected, comments dropped, split
 * at newlines, &&, ||, ;, | and redirections, leading VAR=value assignments left out.
 */
function commands(code: string): string[][] {
  const found: string[][] = []
  let words: string[] = []
  let word: string | null = null
  let quote: string | null = null
  const endWord = () => {
    if (word !== null) words.push(word)
    word = null
  }
  const endCommand = () => {
    endWord()
    const start = words.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w))
    if (start !== -1) found.push(words.slice(start))
    words = []
  }
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!
    if (quote) {
      if (c === quote) quote = null
      else word += c
    } else if (c === "'" || c === '"') {
      quote = c
      word ??= ''
    } else if (c === '#' && word === null) {
      while (i < code.length && code[i] !== '\n') i++
      endCommand()
    } else if (c === '\\' && code[i + 1] === '\n') {
      // A line continued: the command goes on.
      i++
      endWord()
    } else if (c === '\n' || c === ';' || c === '|' || c === '&') {
      endCommand()
    } else if (c === '>' || c === '<') {
      // A redirection's target is a file, not a command: keep it out of the words.
      endWord()
      while (code[i + 1] === ' ') i++
      while (i + 1 < code.length && !/[\s;|&]/.test(code[i + 1]!)) i++
    } else if (c === ' ' || c === '\t') {
      endWord()
    } else {
      word = (word ?? '') + c
    }
  }
  endCommand()
  return found
}

async function onPath(command: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      await access(join(dir, command), constants.X_OK)
      return true
    } catch {}
  }
  return false
}

const NPM_BUILTINS = new Set(['i', 'install', 'ci', 'init', 'pkg', 'pack'])

/** Null when the command exists; otherwise what is missing. */
async function missing(words: string[]): Promise<string | null> {
  const [command, sub, script] = words
  if (command === 'npm') {
    if (sub === 'run') return script !== undefined && pkg.scripts[script] ? null : `npm script "${script}"`
    if (sub === 'start' || sub === 'test') return pkg.scripts[sub] ? null : `npm script "${sub}"`
    return NPM_BUILTINS.has(sub!) ? null : `npm command "${sub}"`
  }
  if (command === 'npx') {
    // This package's own command, as installing it brings it.
    if (sub !== undefined && Object.hasOwn(pkg.bin ?? {}, sub)) return null
    // A bin of this repository's dependencies (prisma, tsx, ...), as a reader's install brings it.
    return access(join(root, 'node_modules/.bin', sub!), constants.X_OK).then(
      () => null,
      () => `npx bin "${sub}"`,
    )
  }
  return (await onPath(command!)) ? null : `command "${command}"`
}

t.test('the commands of every bash block exist', async (t) => {
  for (const block of blocks.filter((block) => block.lang === 'bash')) {
    for (const words of commands(block.code)) {
      t.equal(await missing(words), null, `${where(block)}: ${words.join(' ')}`)
      // A file of the package named by path must be in it.
      for (const word of words.filter((word) => word.startsWith(`node_modules/${pkg.name}/`))) {
        await t.resolves(access(join(root, word.slice(`node_modules/${pkg.name}/`.length))), `${where(block)}: ${word} exists`)
      }
    }
  }
})

// ---------------------------------------------------------------------------------------------
// The Quick start in a new app, then every TypeScript block type-checked there.

async function runBlock(app: string, block: CodeBlock, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run('npx', ['tsx', fileName(block)], app, `${where(block)} (npx tsx)`, {
    env: { PORT: '0', ...env },
    timeoutMs: RUN_LIMIT_MS,
  })
  return stdout
}

t.test('the Quick start in a new app from the packed tarball, and every TypeScript block', async (t) => {
  const work = await scratchDir(t, 'fap-docs-')
  const { tarball } = await packTarball(work)
  const app = join(work, 'app')
  await run('mkdir', ['-p', app], work, 'mkdir')

  const [sqlite] = tagged('bash', 'quickstart')
  await run('bash', ['-c', quickstartScript(sqlite!.code, tarball)], app, `${where(sqlite!)} (Quick start, SQLite)`, { env: OFFLINE_PRISMA })
  for (const block of blocks.filter((block) => block.lang === 'ts')) {
    // The prelude goes after the block (declarations and imports are hoisted), so that a
    // compiler error's line N is line N of the block, i.e. line `block.line + N` of its page.
    const prelude = block.tags.includes('fragment') ? FRAGMENT_PRELUDE : ''
    await writeFile(join(app, fileName(block)), `${block.code}\nexport {}\n${prelude}`)
  }

  const [quickStart, ...otherRuns] = tagged('ts', 'run').sort((a, b) => Number(b.file === 'README.md') - Number(a.file === 'README.md'))
  await t.test('the Quick start on SQLite: the waiter resolves, close() returns', async (t) => {
    const stdout = await runBlock(app, quickStart!)
    t.match(stdout, /^SUCCESS (notify|inquiry)$/m, 'the waiter resolved with the simulator\'s result')
  })
  for (const block of otherRuns) {
    await t.test(`${where(block)} runs to its end`, async (t) => {
      t.ok(await runBlock(app, block), 'it ran, printed, and every close() returned')
    })
  }

  // The PostgreSQL variant: its install and schema lines always (the type-check below needs its
  // adapter), its run where a server is reachable.
  const [postgres] = tagged('bash', 'quickstart-postgres')
  await run('bash', ['-c', quickstartScript(postgres!.code, tarball)], app, `${where(postgres!)} (Quick start, PostgreSQL)`, { env: OFFLINE_PRISMA })
  await t.test('the Quick start on PostgreSQL', await needsServer('postgresql'), async (t) => {
    const url = await createEmptyPostgres(t)
    const stdout = await runBlock(app, quickStart!, { DATABASE_URL: url })
    t.match(stdout, /^SUCCESS (notify|inquiry)$/m, 'the waiter resolved with the simulator\'s result')
  })

  await t.test('every ts block type-checks against the packed declarations', async (t) => {
    const files = blocks.filter((block) => block.lang === 'ts').map(fileName)
    await writeFile(join(app, 'tsconfig.json'), consumerTsconfig(files))
    const tsc = join(root, 'node_modules/typescript/bin/tsc')
    await t.resolves(run(process.execPath, [tsc, '-p', 'tsconfig.json'], app, 'tsc on the documentation blocks'), `${files.length} blocks`)
  })
})
