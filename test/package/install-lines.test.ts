// The README's install lines, run as a user runs them, one `npm i` after another in a new app,
// with the packed tarball in place of `fastify-alipayplus`: in the README's order and in reverse.
// Without a version, npm takes each package's current release, so a peer range that refuses a
// new release (as `^0.17.0` refused @libsql/client 0.18) fails here with ERESOLVE.
// Needs the npm registry.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { section } from '../helpers/markdown.js'
import { emptyApp, packTarball, pkg, QUIET_INSTALL, root, run, scratchDir } from '../helpers/packed-package.js'

// A dozen installs against the registry: far beyond the default per-file limit on a busy machine.
t.setTimeout(900_000)

const install = section(await readFile(join(root, 'README.md'), 'utf8'), 'Install')
// Every `npm i ...` of the section: lines of its code blocks and inline code in its table.
const lines = [...install.matchAll(/^npm i .+$|`(npm i [^`]+)`/gm)].map((match) => (match[1] ?? match[0]).trim())

t.test('the README names an install line for the package and every peer', async (t) => {
  t.ok(lines.some((line) => line.split(' ').includes(pkg.name)), `a line installs ${pkg.name}`)
  const named = new Set(lines.flatMap((line) => line.split(' ')))
  const missing = Object.keys(pkg.peerDependencies).filter((peer) => !named.has(peer))
  t.same(missing, [], 'every peer dependency is in an install line')
})

t.test('the install lines, in order and in reverse, from the packed tarball', async (t) => {
  const work = await scratchDir(t, 'fap-install-')
  const { tarball } = await packTarball(work)
  const asRun = (line: string) => line.split(' ').slice(1).map((word) => (word === pkg.name ? tarball : word))

  for (const [name, order] of [['in order', lines], ['in reverse', [...lines].reverse()]] as const) {
    await t.test(name, async (t) => {
      const app = await emptyApp(join(work, name.replace(' ', '-')))
      for (const line of order) {
        await t.resolves(run('npm', [...asRun(line), ...QUIET_INSTALL], app, line), line)
      }
      // npm ls exits non-zero on an invalid or missing dependency anywhere in the tree.
      await t.resolves(run('npm', ['ls', '--all'], app, 'npm ls --all'), 'the installed tree is valid')
    })
  }
})
