// The transpiler of tap's TypeScript loader (tsconfig.json, "ts-node"): esbuild, which tsx also
// uses, in place of TypeScript's own transpileModule. tap still loads the suite through ts-node,
// whose source maps its coverage reads; only the transpiling changes. Types are checked by `tsc`
// in `npm test`, never here.
//
// Each file's output is kept in node_modules/.cache/ts-node-esbuild/ beside tsconfig.json, keyed
// by its source and the options, and scripts/test-tier.mjs fills that cache for every file of
// tsconfig.json before tap starts (transpileAhead, one esbuild service for all). A test process
// then transpiles nothing: starting esbuild's service in each process had cost about 1.3 core-s
// per test file.
'use strict'
// Not counted in coverage: its transpiling runs in ts-node's module loader thread (ES modules are
// loaded there), which tap does not record, so only its set-up would show, as mostly unrun.
/* c8 ignore start */
const { createHash } = require('node:crypto')
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs')
const { dirname, join, resolve } = require('node:path')

const ESBUILD_VERSION = JSON.parse(readFileSync(require.resolve('esbuild/package.json'), 'utf8')).version

// TypeScript's ScriptTarget and ModuleKind values (typescript.d.ts), as esbuild names them.
const TARGETS = { 2: 'es2015', 3: 'es2016', 4: 'es2017', 5: 'es2018', 6: 'es2019', 7: 'es2020', 8: 'es2021', 9: 'es2022', 10: 'es2023', 11: 'es2024', 99: 'esnext' }
const COMMONJS = 1
const ES_MODULES = new Set([5, 6, 7, 99])

exports.create = function create({ service, nodeModuleEmitKind }) {
  const compilerOptions = service.config.options
  return {
    transpile(input, { fileName }) {
      const options = esbuildOptions(compilerOptions, moduleFormat(compilerOptions.module, nodeModuleEmitKind, fileName), fileName)
      const entry = cacheEntry(compilerOptions, input, options)
      let output = readEntry(entry)
      if (output === undefined) {
        output = require('esbuild').transformSync(input, options)
        writeEntry(entry, output)
      }
      return { outputText: output.code, sourceMapText: output.map }
    },
  }
}

/**
 * Transpiles every TypeScript file of `tsconfigPath` that the cache does not hold yet, and removes
 * the entries no file has any more. The options are those ts-node would use for each file.
 */
exports.transpileAhead = async function transpileAhead(tsconfigPath) {
  const ts = require('typescript')
  const config = ts.getParsedCommandLineOfConfigFile(resolve(tsconfigPath), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (diagnostic) => { throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')) } })
  const files = config.fileNames.filter((fileName) => /\.[cm]?tsx?$/.test(fileName) && !/\.d\.[cm]?ts$/.test(fileName))
  const esbuild = require('esbuild')
  const kept = new Set()
  let transpiled = 0
  await Promise.all(files.map(async (fileName) => {
    const input = readFileSync(fileName, 'utf8')
    const options = esbuildOptions(config.options, moduleFormat(config.options.module, undefined, fileName), fileName)
    const entry = cacheEntry(config.options, input, options)
    kept.add(entry.name)
    if (existsSync(entry.path)) return
    // A file esbuild refuses is left to ts-node, which reports it in the test that imports it.
    const output = await esbuild.transform(input, options).catch(() => undefined)
    if (output === undefined) return
    writeEntry(entry, output)
    transpiled++
  }))
  const dir = cacheDir(config.options)
  mkdirSync(dir, { recursive: true })
  for (const name of readdirSync(dir)) {
    // A `.partial` is an entry being written by a test process still running.
    if (name.endsWith('.json') && !kept.has(name)) rmSync(join(dir, name), { force: true })
  }
  return { files: files.length, transpiled }
}

function esbuildOptions(compilerOptions, format, fileName) {
  const target = TARGETS[compilerOptions.target]
  if (target === undefined) throw new Error(`scripts/ts-node-esbuild.cjs: no esbuild target for TypeScript target ${compilerOptions.target}`)
  return {
    loader: fileName.endsWith('x') ? 'tsx' : 'ts',
    format,
    target,
    sourcefile: fileName,
    sourcemap: 'external',
    tsconfigRaw: {
      compilerOptions: {
        verbatimModuleSyntax: compilerOptions.verbatimModuleSyntax,
        useDefineForClassFields: compilerOptions.useDefineForClassFields,
        experimentalDecorators: compilerOptions.experimentalDecorators,
      },
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

/** The project's cache: TypeScript's parsed options name the tsconfig.json they were read from. */
function cacheDir(compilerOptions) {
  const project = compilerOptions.configFilePath ? dirname(compilerOptions.configFilePath) : process.cwd()
  return join(project, 'node_modules', '.cache', 'ts-node-esbuild')
}

/** Where the output for this source and these esbuild options is kept: the file name is their digest. */
function cacheEntry(compilerOptions, input, options) {
  const name = `${createHash('sha256').update(ESBUILD_VERSION).update(JSON.stringify(options)).update(input).digest('hex')}.json`
  const dir = cacheDir(compilerOptions)
  return { name, dir, path: join(dir, name) }
}

function readEntry(entry) {
  try {
    return JSON.parse(readFileSync(entry.path, 'utf8'))
  } catch (error) {
    if (error.code === 'ENOENT') return undefined
    throw error
  }
}

/** Written aside and renamed: a test process running beside this one never reads half an entry. */
function writeEntry(entry, { code, map }) {
  mkdirSync(entry.dir, { recursive: true })
  const partial = `${entry.path}.${process.pid}.partial`
  writeFileSync(partial, JSON.stringify({ code, map }))
  renameSync(partial, entry.path)
}
/* c8 ignore stop */
