// The transpiler of tap's TypeScript loader (tsconfig.json, "ts-node"): esbuild, which tsx also
// uses, in place of TypeScript's own transpileModule. tap still loads the suite through ts-node,
// whose source maps its coverage reads; only the transpiling changes. It was most of a test
// process's start: importing the plugin and the test helpers took about 2.5 core-s through
// TypeScript and 0.8 through esbuild. Types are checked by `tsc` in `npm test`, never here.
'use strict'
// Not counted in coverage: its transpiling runs in ts-node's module loader thread (ES modules are
// loaded there), which tap does not record, so only its set-up would show, as mostly unrun.
/* c8 ignore start */
const { readFileSync } = require('node:fs')
const { dirname, join } = require('node:path')
const { transformSync } = require('esbuild')

// TypeScript's ScriptTarget and ModuleKind values (typescript.d.ts), as esbuild names them.
const TARGETS = { 2: 'es2015', 3: 'es2016', 4: 'es2017', 5: 'es2018', 6: 'es2019', 7: 'es2020', 8: 'es2021', 9: 'es2022', 10: 'es2023', 11: 'es2024', 99: 'esnext' }
const COMMONJS = 1
const ES_MODULES = new Set([5, 6, 7, 99])

exports.create = function create({ service, nodeModuleEmitKind }) {
  const options = service.config.options
  const target = TARGETS[options.target]
  if (target === undefined) throw new Error(`scripts/ts-node-esbuild.cjs: no esbuild target for TypeScript target ${options.target}`)
  const tsconfigRaw = {
    compilerOptions: {
      verbatimModuleSyntax: options.verbatimModuleSyntax,
      useDefineForClassFields: options.useDefineForClassFields,
      experimentalDecorators: options.experimentalDecorators,
    },
  }
  return {
    transpile(input, { fileName }) {
      const { code, map } = transformSync(input, {
        loader: fileName.endsWith('x') ? 'tsx' : 'ts',
        format: moduleFormat(options.module, nodeModuleEmitKind, fileName),
        target,
        sourcefile: fileName,
        sourcemap: 'external',
        tsconfigRaw,
      })
      return { outputText: code, sourceMapText: map }
    },
  }
}

/** What ts-node asks for: CommonJS or ES modules, as Node.js would load `fileName` under NodeNext. */
function moduleFormat(moduleKind, nodeModuleEmitKind, fileName) {
  if (nodeModuleEmitKind === 'nodecjs' || moduleKind === COMMONJS) return 'cjs'
  if (nodeModuleEmitKind === 'nodeesm' || ES_MODULES.has(moduleKind)) return 'esm'
  if (fileName.endsWith('.cts')) return 'cjs'
  if (fileName.endsWith('.mts')) return 'esm'
  return packageType(dirname(fileName)) === 'module' ? 'esm' : 'cjs'
}

const packageTypes = new Map()

/** The "type" of the nearest package.json above `dir`, as Node.js reads it. */
function packageType(dir) {
  let type = packageTypes.get(dir)
  if (type !== undefined) return type
  try {
    type = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).type ?? 'commonjs'
  } catch (error) {
    if (error.code !== 'ENOENT') throw error
    const parent = dirname(dir)
    type = parent === dir ? 'commonjs' : packageType(parent)
  }
  packageTypes.set(dir, type)
  return type
}
/* c8 ignore stop */
