// The package as a merchant gets it: the tarball `npm pack` makes, and a throw-away app outside
// the repository to install it in. Used by the package tests and the documentation tests.
//
// The build goes to a staging copy of the package, never to the repository's own dist/: several
// test files pack at once (tap runs files in parallel), and `npm run build` cleans dist/ first,
// so one file's build would delete the files another is packing.
import { execFile } from 'node:child_process'
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

export const root = fileURLToPath(new URL('../..', import.meta.url))

export interface PackageJson {
  name: string
  scripts: Record<string, string>
  bin?: Record<string, string>
  exports: Record<string, string | { types: string; default: string }>
  peerDependencies: Record<string, string>
}

export const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as PackageJson

export interface Run {
  stdout: string
  stderr: string
}

// The children run as a user's would: without tap's loaders and coverage hooks.
export const childEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => name !== 'NODE_OPTIONS' && !/^_?TAP/i.test(name)),
)

/** Runs a command; on failure the error names the command and carries its output. */
export function run(
  command: string,
  args: string[],
  cwd: string,
  what: string,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env: { ...childEnv, ...options.env }, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 0 },
      (error, stdout, stderr) => {
        if (error) {
          const killed = error.killed ? ` (killed after ${options.timeoutMs} ms)` : ''
          reject(new Error(`${what} failed${killed}: ${command} ${args.join(' ')} (in ${cwd})\n${stdout}\n${stderr}`))
        } else {
          resolve({ stdout, stderr })
        }
      },
    )
  })
}

/** The version of a package installed in this repository. */
export async function installedVersion(name: string): Promise<string> {
  return (JSON.parse(await readFile(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
}

/** A temporary directory outside the repository, removed when the test ends. */
export async function scratchDir(t: Test, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export interface Packed {
  /** Absolute path of the .tgz. */
  tarball: string
  /** The paths in the tarball, sorted. */
  files: string[]
}

/**
 * Builds the package as prepack does (tsc -p tsconfig.build.json into a clean dist) in a staging
 * copy, and packs it into `dir`.
 */
export async function packTarball(dir: string): Promise<Packed> {
  const staging = join(dir, 'staging')
  await mkdir(staging)
  for (const file of ['package.json', 'README.md', 'LICENSE']) await copyFile(join(root, file), join(staging, file))
  await cp(join(root, 'prisma'), join(staging, 'prisma'), { recursive: true })
  const tsc = join(root, 'node_modules/typescript/bin/tsc')
  await run(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(staging, 'dist')], root, 'the build (tsc -p tsconfig.build.json)')
  const packed = JSON.parse(
    (await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], staging, 'npm pack')).stdout,
  ) as Array<{ filename: string; files: Array<{ path: string }> }>
  await rm(staging, { recursive: true, force: true })
  return { tarball: join(dir, packed[0]!.filename), files: packed[0]!.files.map((file) => file.path).sort() }
}

/** A new, empty ESM app (package.json only) in `dir`. */
export async function emptyApp(dir: string, name = 'fap-app'): Promise<string> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }))
  return dir
}

/** Flags every test install passes: no audit or funding chatter, no install-time script. */
export const QUIET_INSTALL = ['--no-audit', '--no-fund', '--ignore-scripts']

/** Prisma's documented override for machines that cannot download its engine (README, Quick start). */
export const OFFLINE_PRISMA = { PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' }

/**
 * The README's ```bash quickstart block as a bash script: its `npm i` lines take the tarball
 * for this package, and stay quiet (QUIET_INSTALL). Run it in an empty directory with
 * OFFLINE_PRISMA in the environment.
 */
export function quickstartScript(code: string, tarball: string): string {
  const lines = code.split('\n').map((line) => {
    if (!/^npm i /.test(line)) return line
    const words = line.split(' ').map((word) => (word === pkg.name ? tarball : word))
    return [...words, ...QUIET_INSTALL].join(' ')
  })
  return ['set -euo pipefail', ...lines].join('\n')
}

/**
 * The tsconfig.json a throw-away app type-checks `files` with: strict, NodeNext, as a user's
 * TypeScript project would, with @types/node from this repository (the app installs no
 * TypeScript tooling).
 */
export function consumerTsconfig(files: string[]): string {
  return JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      typeRoots: [join(root, 'node_modules/@types')],
      types: ['node'],
    },
    files,
  })
}
