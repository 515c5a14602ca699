// The test processes' transpiler (scripts/ts-node-esbuild.cjs) and its cache, on a small project
// of its own: what transpileAhead fills is exactly what ts-node then asks for, so a test process
// transpiles nothing; a changed file makes one new entry and drops the stale one; a file esbuild
// refuses is left to ts-node; and without the cache ts-node still runs the code.
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { childEnv } from '../helpers/child-env.js'

const TRANSPILER = resolve('scripts/ts-node-esbuild.cjs')
const { transpileAhead } = createRequire(import.meta.url)(TRANSPILER) as {
  transpileAhead(tsconfigPath: string): Promise<{ files: number; transpiled: number }>
}
// The loader tap puts in front of every test process.
const TS_NODE_IMPORT = pathToFileURL(resolve('node_modules/@tapjs/typescript/dist/esm/import.mjs')).href

const LIB = 'export function double(x: number): number {\n  return x * 2\n}\n'
const MAIN = "import { double } from './lib.js'\nconst n: number = double(21)\nconsole.log(JSON.stringify({ n }))\n"

t.test('transpileAhead fills the cache that ts-node reads', async (t) => {
  const project = await mkdtemp(join(tmpdir(), 'ts-node-esbuild-'))
  t.teardown(() => rm(project, { recursive: true, force: true }))
  const tsconfig = join(project, 'tsconfig.json')
  const cache = join(project, 'node_modules', '.cache', 'ts-node-esbuild')
  await writeFile(tsconfig, JSON.stringify({
    compilerOptions: { module: 'NodeNext', target: 'ES2022', strict: true, verbatimModuleSyntax: true },
    include: ['*.ts'],
    'ts-node': { transpiler: TRANSPILER },
  }))
  await writeFile(join(project, 'package.json'), '{ "type": "module" }')
  await writeFile(join(project, 'lib.ts'), LIB)
  await writeFile(join(project, 'main.ts'), MAIN)
  const entries = async () => (await readdir(cache)).sort()
  const runMain = async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [`--import=${TS_NODE_IMPORT}`, 'main.ts'], {
      cwd: project,
      env: { ...childEnv(), TS_NODE_TRANSPILE_ONLY: '1' },
    })
    return JSON.parse(stdout) as unknown
  }

  t.same(await transpileAhead(tsconfig), { files: 2, transpiled: 2 }, 'both files transpiled')
  const filled = await entries()
  t.equal(filled.length, 2, 'one entry per file')
  t.same(await transpileAhead(tsconfig), { files: 2, transpiled: 0 }, 'nothing again while nothing changed')

  t.same(await runMain(), { n: 42 }, 'ts-node runs the project')
  t.same(await entries(), filled, 'ts-node asked for exactly what was transpiled ahead: no entry added')

  await writeFile(join(project, 'lib.ts'), LIB.replace('x * 2', '2 * x'))
  t.same(await transpileAhead(tsconfig), { files: 2, transpiled: 1 }, 'the changed file transpiled again')
  const refilled = await entries()
  t.equal(refilled.length, 2, 'its stale entry removed')
  t.equal(refilled.filter((name) => filled.includes(name)).length, 1, "the unchanged file's entry kept")

  await writeFile(join(project, 'broken.ts'), 'export const = 1\n')
  t.same(await transpileAhead(tsconfig), { files: 3, transpiled: 0 }, 'a file esbuild refuses is skipped, not fatal')
  t.same(await entries(), refilled, 'and has no entry')

  await rm(cache, { recursive: true })
  t.same(await runMain(), { n: 42 }, 'without the cache ts-node transpiles by itself')
  t.equal((await entries()).length, 2, 'and keeps what it transpiled')
})
