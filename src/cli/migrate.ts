// `fastify-alipayplus migrate`: applies this package's migrations for the URL's provider with
// the library's own applier (the rows `prisma migrate deploy` writes), where the Prisma CLI's
// schema engine cannot run or is not wanted.
import { applyMigrations } from '../database/apply-migrations.js'
import { redactUrl } from '../database/open-database.js'
import { parseCommandLine, stringFlag, UsageError } from './args.js'
import { openSessionFor } from './database-url.js'

export const MIGRATE_HELP = `Usage: fastify-alipayplus migrate [--database-url <url>]

Applies the plugin's shipped migrations (PaymentOrder, PaymentEvent) for the database's
provider, keeping Prisma's _prisma_migrations bookkeeping, so \`prisma migrate status\` and
\`deploy\` agree later. Applied migrations are skipped; safe to run on every deploy.
For a schema of your own (models renamed, added to your schema), use \`prisma migrate\` instead.

Options:
  --database-url <url>  postgresql://, mysql://, mariadb:// or file: URL (default: $DATABASE_URL)
  -h, --help            this help
`

export const MIGRATE_FLAGS = { 'database-url': { type: 'string' } } as const

export async function migrate(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const parsed = parseCommandLine(args, MIGRATE_FLAGS)
  if (parsed.values.help) {
    out.write(MIGRATE_HELP)
    return 0
  }
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`)
  const url = stringFlag(parsed, 'database-url', process.env.DATABASE_URL || undefined)
  if (url === undefined) throw new UsageError('--database-url is required (or set DATABASE_URL)')
  const session = await openSessionFor(url)
  try {
    const result = await applyMigrations(session)
    out.write(`${redactUrl(url)} (${session.provider})\n`)
    for (const name of result.applied) out.write(`  applied  ${name}\n`)
    for (const name of result.skipped) out.write(`  present  ${name}\n`)
    out.write(result.applied.length === 0 ? 'Up to date.\n' : `Applied ${result.applied.length} migration(s).\n`)
    return 0
  } finally {
    await session.close()
  }
}
