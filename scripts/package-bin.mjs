// The path of an installed package's command (its package.json "bin"), to run with this Node.js
// (process.execPath) instead of through npx or a shell.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

/** The file of `pkg`'s command `name` (default: the package's name, or its only command). */
export function packageBin(pkg, name = pkg) {
  const manifest = require.resolve(`${pkg}/package.json`)
  const { bin } = require(manifest)
  return join(dirname(manifest), typeof bin === 'string' ? bin : bin[name])
}
