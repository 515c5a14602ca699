// npm run lint: neostandard (the Fastify plugins' ESLint config) over the TypeScript and the
// scripts; the few rules that disagree with this repository's settled layout are set to it, or
// off, each with its reason.
import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['generated/**', 'dist/**', '.tap/**', '.bench-build/**'] }),
  {
    // The package's consumers' fixtures and the scripts use import attributes (ES2025).
    languageOptions: { ecmaVersion: 'latest' },
    rules: {
      // The code is laid out as `function name(` with trailing commas on multi-line lists (over 800 sites).
      '@stylistic/space-before-function-paren': ['error', { anonymous: 'always', named: 'never', asyncArrow: 'always' }],
      '@stylistic/comma-dangle': ['error', 'always-multiline'],
      // Misreads multi-line calls with type arguments and switch bodies; the layout is already uniform.
      '@stylistic/indent': 'off',
      // SQL and messages that contain single quotes read better in backticks than escaped.
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: true }],
      // `void promise` marks a promise left to run on purpose (its errors are handled where it is made).
      'no-void': 'off',
      // Order numbers and header values are checked for control characters on purpose.
      'no-control-regex': 'off',
      // A deferred keeps the outer `resolve`/`reject` names; the executor's own are `res`/`rej`.
      'promise/param-names': 'off',
      // Reads the option tables' `callback('(alert) => void')` (a rule naming a hook's signature) as a Node callback.
      'n/no-callback-literal': 'off',
      // Misses a flag that another task clears while the loop awaits (`while (sampling)`).
      'no-unmodified-loop-condition': 'off',
      // A `let` read by a closure before its one assignment (teardown of what is opened next) cannot be const.
      'prefer-const': ['error', { destructuring: 'all', ignoreReadBeforeAssign: true }],
    },
  },
]
