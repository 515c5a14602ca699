// Connection URLs (databaseUrl, the wake-up's postgres and redis) carry passwords. Node's URL
// parser copies its whole input into the ERR_INVALID_URL it throws (an enumerable `input`,
// which pino's err serializer and a crash print show), and drivers may quote the string they
// were given. So every URL-taking option is parsed here, and every error about one is rebuilt
// from a message cleaned of the URL and its password, with no `input` and no `cause`.
import { InvalidOptionError } from './errors.js'

const REDACTED = '***'
/** Query parameters that hold a secret in some driver's URL (mariadb's password, libsql's authToken...). */
const SECRET_PARAM = /pass|secret|token|key/i
/** scheme://user:PASSWORD@ where the password runs to the last '@', as the URL parser reads it. */
const USERINFO_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:)(.*)@/is

/** The URL with its password (and secret query parameters) replaced, fit for logs and error messages. */
export function redactUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    // Unparseable: mask whatever stands where a password would.
    return url.replace(USERINFO_PASSWORD, `$1${REDACTED}@`)
  }
  // A file: URL normally holds no secret, and a relative one (file:./app.db) must stay relative.
  if (parsed.protocol === 'file:' && !parsed.password) return url
  if (parsed.password) parsed.password = REDACTED
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) parsed.searchParams.set(name, REDACTED)
  }
  return parsed.toString()
}

/** `message` without `url`, its password or its secret query parameters, raw or percent-decoded. */
export function withoutSecrets(message: string, url: string): string {
  const secrets = [url]
  const password = USERINFO_PASSWORD.exec(url)?.[2]
  if (password) secrets.push(password)
  try {
    for (const [name, value] of new URL(url).searchParams) if (SECRET_PARAM.test(name) && value) secrets.push(value)
  } catch {}
  let clean = message
  for (const secret of secrets) {
    let decoded = secret
    try {
      decoded = decodeURIComponent(secret)
    } catch {}
    clean = clean.split(secret).join(REDACTED).split(decoded).join(REDACTED)
  }
  return clean
}

/** Parses a connection URL given as option `option`; a malformed one is refused without its password. */
export function parseSecretUrl(url: string, option: string): URL {
  try {
    return new URL(url)
  } catch {
    throw new InvalidOptionError(option, `is not a valid URL (${redactUrl(url)})`)
  }
}

/** A plain error about connecting with `url`, cleaned of its secrets: no `input`, no `cause`. */
export function connectionError(what: string, error: unknown, url: string): Error {
  return new Error(`${what}: ${withoutSecrets(error instanceof Error ? error.message : String(error), url)}`)
}
