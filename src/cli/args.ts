// Command-line parsing for the CLI's commands: node:util parseArgs with the CLI's own usage
// errors, so a mistyped flag names itself and the command's --help.
import { parseArgs, type ParseArgsConfig } from 'node:util'

/** A mistake in the command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export type Flags = NonNullable<ParseArgsConfig['options']>

export interface Parsed {
  values: Record<string, string | boolean | undefined>
  positionals: string[]
}

export function parseCommandLine(args: string[], options: Flags): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
    return { values: values as Parsed['values'], positionals }
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/** A flag's value, or the environment variable's, or the default. */
export function stringFlag(parsed: Parsed, name: string, fallback?: string): string | undefined {
  const value = parsed.values[name]
  return typeof value === 'string' && value !== '' ? value : fallback
}

export function requiredFlag(parsed: Parsed, name: string, hint: string): string {
  const value = stringFlag(parsed, name)
  if (value === undefined) throw new UsageError(`--${name} is required (${hint})`)
  return value
}

/** A TCP port: an integer from 0 to 65535 (0: any free port). */
export function portFlag(parsed: Parsed, name: string, fallback: number): number {
  const text = stringFlag(parsed, name)
  if (text === undefined) return fallback
  const port = Number(text)
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--${name} must be a port number from 0 to 65535, got "${text}"`)
  return port
}

/** An http(s) URL. */
export function urlFlag(parsed: Parsed, name: string, value: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new UsageError(`--${name} must be an absolute http(s) URL, got "${value}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--${name} must be an http(s) URL, got "${value}"`)
  return url
}
