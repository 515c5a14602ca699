// `fastify-alipayplus doctor`: checks a configuration the way the plugin will use it and says
// what to fix: the keys parse (and the merchant pair matches), the gateway answers a signed
// inquiryPayment with an answer our keys verify, the database has the plugin's tables migrated,
// and the wake-up channel is reachable. Each check is independent; the exit code is 1 when any
// fails. Key material is never printed.
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { redactUrl, withoutSecrets } from '../secret-url.js'
import { loadPrivateKey, loadPublicKeys } from '../protocol/keys.js'
import { InquiryClient } from '../protocol/inquiry-client.js'
import { contentToSign, signContent, verifyContent } from '../protocol/signature.js'
import { type Parsed, parseCommandLine, stringFlag, UsageError } from './args.js'
import { migrationStatus, openSessionFor } from './database-url.js'

export const DOCTOR_HELP = `Usage: fastify-alipayplus doctor [options]

Checks a configuration and says what to fix. Give what you want checked; each flag falls back
to the environment variable named in brackets.

Options:
  --client-id <id>                  your Client-Id [ALIPAYPLUS_CLIENT_ID]
  --gateway-url <url>               the Alipay+ gateway (or a simulator) [ALIPAYPLUS_GATEWAY_URL]
  --private-key-file <file>         your RSA private key, PEM or Base64 [ALIPAYPLUS_PRIVATE_KEY_FILE]
  --alipay-public-key-file <file>   Alipay+'s public key, PEM or Base64 [ALIPAYPLUS_PUBLIC_KEY_FILE]
  --merchant-public-key-file <file> the public key you registered with Alipay+: must match your private key
  --database-url <url>              postgresql://, mysql://, mariadb:// or file: [DATABASE_URL]
  --wakeup-url <url>                redis:// or postgresql:// of the wakeup option [ALIPAYPLUS_WAKEUP_URL]
  -h, --help                        this help
`

export const DOCTOR_FLAGS = {
  'client-id': { type: 'string' },
  'gateway-url': { type: 'string' },
  'private-key-file': { type: 'string' },
  'alipay-public-key-file': { type: 'string' },
  'merchant-public-key-file': { type: 'string' },
  'database-url': { type: 'string' },
  'wakeup-url': { type: 'string' },
} as const

const ENV: Record<string, string> = {
  'client-id': 'ALIPAYPLUS_CLIENT_ID',
  'gateway-url': 'ALIPAYPLUS_GATEWAY_URL',
  'private-key-file': 'ALIPAYPLUS_PRIVATE_KEY_FILE',
  'alipay-public-key-file': 'ALIPAYPLUS_PUBLIC_KEY_FILE',
  'database-url': 'DATABASE_URL',
  'wakeup-url': 'ALIPAYPLUS_WAKEUP_URL',
}

/** What one check found: ok, or the problem and its fix. */
interface Finding {
  check: string
  ok: boolean
  detail: string
  fix?: string
}

function setting(parsed: Parsed, name: string): string | undefined {
  const env = ENV[name]
  return stringFlag(parsed, name, env === undefined ? undefined : process.env[env] || undefined)
}

/** Never echoes the file's content: a private key must not reach a terminal or a CI log. */
async function readKeyFile(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    throw new Error(`--${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
}

interface Keys {
  privateKey?: ReturnType<typeof loadPrivateKey>
  alipayPublicKeys?: ReturnType<typeof loadPublicKeys>
}

async function checkKeys(parsed: Parsed, keys: Keys): Promise<Finding[]> {
  const findings: Finding[] = []
  const privateFile = setting(parsed, 'private-key-file')
  if (privateFile !== undefined) {
    try {
      keys.privateKey = loadPrivateKey(await readKeyFile(privateFile, 'private-key-file'), 'privateKey')
      findings.push({ check: 'private key', ok: true, detail: `${privateFile}: an RSA private key` })
    } catch (error) {
      findings.push({ check: 'private key', ok: false, detail: (error as Error).message, fix: 'give the RSA private key your app signs with: PEM, or Base64 PKCS#8/PKCS#1' })
    }
  }
  const alipayFile = setting(parsed, 'alipay-public-key-file')
  if (alipayFile !== undefined) {
    try {
      keys.alipayPublicKeys = loadPublicKeys(await readKeyFile(alipayFile, 'alipay-public-key-file'), 'alipayPublicKey')
      findings.push({ check: 'Alipay+ public key', ok: true, detail: `${alipayFile}: an RSA public key` })
    } catch (error) {
      findings.push({ check: 'Alipay+ public key', ok: false, detail: (error as Error).message, fix: "give Alipay+'s public key from the Alipay+ portal (sandbox and production differ): PEM or Base64 X.509" })
    }
  }
  const merchantFile = stringFlag(parsed, 'merchant-public-key-file')
  if (merchantFile !== undefined && keys.privateKey !== undefined) {
    let matches = false
    try {
      const publicKeys = loadPublicKeys(await readKeyFile(merchantFile, 'merchant-public-key-file'), 'merchantPublicKey')
      const probe = contentToSign('/doctor', 'doctor', new Date().toISOString(), 'key pair check')
      matches = await verifyContent(probe, await signContent(probe, keys.privateKey), publicKeys)
    } catch {
      matches = false
    }
    findings.push(
      matches
        ? { check: 'key pair', ok: true, detail: 'your private key matches the public key you registered' }
        : { check: 'key pair', ok: false, detail: `${merchantFile} is not the public half of your private key`, fix: 'register the public key of the pair you sign with, or sign with the matching private key' },
    )
  }
  return findings
}

async function checkGateway(parsed: Parsed, keys: Keys): Promise<Finding[]> {
  const gatewayUrl = setting(parsed, 'gateway-url')
  const clientId = setting(parsed, 'client-id')
  if (gatewayUrl === undefined) return []
  if (clientId === undefined || keys.privateKey === undefined || keys.alipayPublicKeys === undefined) {
    return [{ check: 'gateway', ok: false, detail: 'not checked: it needs --client-id, --private-key-file and --alipay-public-key-file (all valid)', fix: 'give all three' }]
  }
  let client: InquiryClient
  try {
    client = new InquiryClient({ gatewayUrl, clientId, privateKey: keys.privateKey, alipayPublicKeys: keys.alipayPublicKeys, keyVersion: '1', requestTimeoutMs: 10_000 })
  } catch (error) {
    return [{ check: 'gateway', ok: false, detail: (error as Error).message, fix: 'give an https:// gateway URL (http: only on loopback)' }]
  }
  try {
    // An order nobody has: a gateway that takes our signature answers ORDER_NOT_EXIST, signed.
    const outcome = await client.inquire(`doctor-${randomUUID()}`)
    switch (outcome.kind) {
      case 'order_not_exist':
        return [{ check: 'gateway', ok: true, detail: `${gatewayUrl} took a signed inquiryPayment and its signed answer verified (ORDER_NOT_EXIST for a made-up order, as expected)` }]
      case 'setup_error':
        return [{ check: 'gateway', ok: false, detail: `${outcome.resultCode}: ${outcome.resultMessage}`, fix: gatewayFix(outcome.resultCode) }]
      case 'retry':
        return [{ check: 'gateway', ok: false, detail: `no usable answer (${outcome.reason}: ${outcome.message})`, fix: 'check the URL, the network path and the gateway; try again' }]
      default:
        return [{ check: 'gateway', ok: false, detail: `unexpected answer for a made-up order: ${outcome.kind}`, fix: 'is this an Alipay+ gateway?' }]
    }
  } finally {
    client.close()
  }
}

function gatewayFix(resultCode: string): string {
  if (resultCode === 'INVALID_RESPONSE_SIGNATURE') return "the gateway's answers do not verify with your Alipay+ public key: use the key of this environment (sandbox or production)"
  if (resultCode === 'INVALID_SIGNATURE' || resultCode === 'KEY_NOT_FOUND') return 'the gateway refused our signature: register the public key of your private key with Alipay+, or use the matching private key'
  if (resultCode === 'INVALID_CLIENT' || resultCode === 'ACCESS_DENIED') return 'the gateway does not know this Client-Id here: check --client-id and the gateway (sandbox or production)'
  return 'see the result code in the Alipay+ docs'
}

async function checkDatabase(parsed: Parsed): Promise<Finding[]> {
  const url = setting(parsed, 'database-url')
  if (url === undefined) return []
  const where = redactUrl(url)
  let session: Awaited<ReturnType<typeof openSessionFor>>
  try {
    session = await openSessionFor(url)
  } catch (error) {
    if (error instanceof UsageError) throw error
    return [{ check: 'database', ok: false, detail: `${where}: cannot connect (${withoutSecrets((error as Error).message, url)})`, fix: 'check the URL, that the server runs, and its credentials' }]
  }
  try {
    const status = await migrationStatus(session)
    if (status.untracked) return [{ check: 'database', ok: false, detail: `${where}: no _prisma_migrations table: the plugin's tables are not migrated here`, fix: 'run `npx fastify-alipayplus migrate`, or add the models to your schema and run `prisma migrate deploy`' }]
    if (status.failed.length > 0) return [{ check: 'database', ok: false, detail: `${where}: migration ${status.failed.join(', ')} failed and is unresolved`, fix: 'fix the cause, then `prisma migrate resolve --rolled-back <name>` and migrate again' }]
    if (status.pending.length > 0) return [{ check: 'database', ok: false, detail: `${where}: ${status.pending.length} migration(s) not applied: ${status.pending.join(', ')}`, fix: 'run `npx fastify-alipayplus migrate` (or `prisma migrate deploy`)' }]
    return [{ check: 'database', ok: true, detail: `${where} (${session.provider}): every shipped migration applied` }]
  } finally {
    await session.close()
  }
}

async function checkWakeup(parsed: Parsed): Promise<Finding[]> {
  const url = setting(parsed, 'wakeup-url')
  if (url === undefined) return []
  const where = redactUrl(url)
  try {
    if (/^rediss?:\/\//i.test(url)) {
      const { Redis } = await import('ioredis')
      const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5_000 })
      try {
        await redis.connect()
        await redis.ping()
      } finally {
        redis.disconnect()
      }
    } else if (/^postgres(ql)?:\/\//i.test(url)) {
      const pg = await import('pg')
      const client = new pg.default.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
      try {
        await client.connect()
        await client.query('LISTEN alipayplus_doctor')
      } finally {
        await client.end().catch(() => undefined)
      }
    } else {
      throw new UsageError(`--wakeup-url must be a redis:// or postgresql:// URL, got "${where}"`)
    }
    return [{ check: 'wake-up channel', ok: true, detail: `${where} reachable` }]
  } catch (error) {
    if (error instanceof UsageError) throw error
    return [{ check: 'wake-up channel', ok: false, detail: `${where}: ${withoutSecrets((error as Error).message, url)}`, fix: 'check the URL and that the server runs (install ioredis or pg in your app)' }]
  }
}

export async function doctor(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const parsed = parseCommandLine(args, DOCTOR_FLAGS)
  if (parsed.values.help) {
    out.write(DOCTOR_HELP)
    return 0
  }
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`)
  const keys: Keys = {}
  const findings = [
    ...(await checkKeys(parsed, keys)),
    ...(await checkGateway(parsed, keys)),
    ...(await checkDatabase(parsed)),
    ...(await checkWakeup(parsed)),
  ]
  if (findings.length === 0) throw new UsageError('nothing to check: give at least one option (see --help)')
  for (const finding of findings) {
    out.write(`${finding.ok ? 'ok  ' : 'FAIL'} ${finding.check}: ${finding.detail}\n`)
    if (!finding.ok && finding.fix) out.write(`     fix: ${finding.fix}\n`)
  }
  const failed = findings.filter((finding) => !finding.ok).length
  out.write(failed === 0 ? 'All checks passed.\n' : `${failed} check(s) failed.\n`)
  return failed === 0 ? 0 : 1
}
