// The machinery behind every option group (the plugin's top level, polling, reconcile, delivery,
// wakeup, openTelemetry, health, the admin plugin's): a table of rules, one per option, and one
// resolver that applies the same three laws to every group at every level:
//   - an option absent or set to undefined takes its default;
//   - a key the table does not know is an error, with the nearest known name as a suggestion
//     (or the new name of a renamed option), since a misspelt option silently ignored runs
//     production on a default nobody chose;
//   - every error is an InvalidOptionError naming the option's path, and never shows a given
//     string (it may be a key, a password or a URL with one): only its type.
import { InvalidOptionError } from './errors.js'
import { MAX_TIMER_MS, TIMER_LIMIT_PROBLEM } from './timer-limit.js'

/** The options of the group resolved so far (the table's earlier rows): for defaults that follow another option. */
export type Resolved = Readonly<Record<string, unknown>>

/** How one option is read. */
export interface Rule<T> {
  /** The value when the option is absent or undefined; throws for a required option. */
  fallback(path: string, earlier: Resolved): T
  /** Checks a given value (never undefined) and returns what the plugin uses. */
  read(value: unknown, path: string, earlier: Resolved): T
}

/** One rule per option of T, in the order they are resolved. */
export type Table<T> = { readonly [K in keyof T]-?: Rule<T[K]> }

export interface Group<T> {
  rules: Table<T>
  /** Old names: given, they are an error naming the new one. */
  renamed?: Readonly<Record<string, string>>
  /** Keys another layer owns and that are let through untouched (Fastify's own register options). */
  ignored?: readonly string[]
  /** Checks between options, once each is resolved. */
  check?: (resolved: T, path: string) => void
  /** How an unknown key's error names the group when listing its options. Default: its path. */
  label?: string
  /** What the group itself must be, for the error when it is not an object: 'an object' by default. */
  expected?: string
}

/** The Fastify register() options that reach a plugin's options object beside its own. */
export const FASTIFY_REGISTER_KEYS = ['prefix', 'logLevel', 'logSerializers'] as const

export function optionPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

/** A given value as an error may show it: numbers and booleans as they are, anything else by its type only. */
export function shown(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/** Resolves one group: every option of the table, defaults for the absent, errors for the unknown. */
export function resolveGroup<T>(value: unknown, path: string, group: Group<T>): T {
  const given = value ?? {}
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new InvalidOptionError(path || 'options', `must be ${group.expected ?? 'an object'}, got ${shown(value)}`)
  }
  refuseUnknownKeys(given, path, group)
  const rules = group.rules as Record<string, Rule<unknown>>
  const resolved: Record<string, unknown> = {}
  for (const [key, rule] of Object.entries(rules)) {
    const raw = (given as Record<string, unknown>)[key]
    const keyPath = optionPath(path, key)
    resolved[key] = raw === undefined ? rule.fallback(keyPath, resolved) : rule.read(raw, keyPath, resolved)
  }
  group.check?.(resolved as T, path)
  return resolved as T
}

/** Throws for the first key of `given` that the group neither knows nor ignores. */
export function refuseUnknownKeys<T>(given: object, path: string, group: Group<T>): void {
  for (const key of Object.keys(given)) {
    if (Object.hasOwn(group.rules, key) || group.ignored?.includes(key)) continue
    throw new InvalidOptionError(optionPath(path, quotedKey(key)), unknownKeyProblem(key, path, group))
  }
}

function unknownKeyProblem<T>(key: string, path: string, group: Group<T>): string {
  const renamed = Object.hasOwn(group.renamed ?? {}, key) ? group.renamed![key] : undefined
  if (renamed !== undefined) return `was renamed to "${optionPath(path, renamed)}"`
  const known = Object.keys(group.rules as object)
  const nearest = closest(key, known)
  if (nearest !== undefined) return `is unknown: did you mean "${optionPath(path, nearest)}"?`
  const label = group.label ?? path
  return `is unknown (the options${label === '' ? '' : ` of ${label}`}: ${known.join(', ')})`
}

/** An unknown key as an error may show it: no option name is that long, so a long one is data (a key?) and not shown. */
function quotedKey(key: string): string {
  return key.length > 40 ? `<a name of ${key.length} characters>` : key
}

/** The known name nearest to a misspelt one, if near enough to be what was meant. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase())
    if (distance < bestDistance) [best, bestDistance] = [name, distance]
  }
  return best
}

/** Levenshtein distance: the fewest single-character insertions, deletions and substitutions. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = row
  }
  return previous[b.length]!
}

// ---- Rules -------------------------------------------------------------------------------

/** An option with a default: `read` checks a given value. */
export function optional<T>(fallback: T, read: (value: unknown, path: string, earlier: Resolved) => T): Rule<T> {
  return { fallback: () => fallback, read }
}

/** An option without a default. */
export function required<T>(read: (value: unknown, path: string, earlier: Resolved) => T, what = ''): Rule<T> {
  return {
    fallback: (path) => {
      throw new InvalidOptionError(path, `is required${what === '' ? '' : ` (${what})`}`)
    },
    read,
  }
}

/** A nested group, all defaults when absent. */
export function group<T>(definition: Group<T>): Rule<T> {
  return {
    fallback: (path) => resolveGroup(undefined, path, definition),
    read: (value, path) => resolveGroup(value, path, definition),
  }
}

/** A rule that also takes `false` (the feature off). */
export function orFalse<T>(rule: Rule<T>): Rule<T | false> {
  return { fallback: rule.fallback, read: (value, path, earlier) => (value === false ? false : rule.read(value, path, earlier)) }
}

/** A rule whose value, given or default, the plugin uses in another shape. */
export function mapped<T, U>(rule: Rule<T>, map: (value: T, path: string) => U): Rule<U> {
  return {
    fallback: (path, earlier) => map(rule.fallback(path, earlier), path),
    read: (value, path, earlier) => map(rule.read(value, path, earlier), path),
  }
}

export function positiveInteger(value: unknown, path: string, max = Number.MAX_SAFE_INTEGER, tooLarge = `must be at most ${max}`): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidOptionError(path, `must be a positive integer, got ${shown(value)}`)
  }
  if (value > max) throw new InvalidOptionError(path, tooLarge)
  return value
}

/** A positive integer number of milliseconds that a Node.js timer can hold. */
export function durationMs(value: unknown, path: string): number {
  return positiveInteger(value, path, MAX_TIMER_MS, TIMER_LIMIT_PROBLEM)
}

export function integerAtLeast(value: unknown, path: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(path, `must be an integer >= ${min}, got ${shown(value)}`)
  }
  return value
}

export function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw new InvalidOptionError(path, `must be a boolean, got ${shown(value)}`)
  return value
}

/** A function option: `shape` says what it is called with, for the error. */
export function callback<F>(shape: string): Rule<F | undefined> {
  return optional<F | undefined>(undefined, (value, path) => {
    if (typeof value !== 'function') throw new InvalidOptionError(path, `must be a function ${shape}`.trimEnd())
    return value as F
  })
}
