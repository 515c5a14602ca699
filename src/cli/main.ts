#!/usr/bin/env node
// The package's command, `fastify-alipayplus`: a local Alipay+ simulator for a developer's own
// server (simulate, trigger), the shipped migrations (migrate), and a configuration check
// (doctor). Exit codes: 0 done, 1 a check or the command failed, 2 a usage mistake.
import { UsageError } from './args.js'
import { doctor } from './doctor.js'
import { migrate } from './migrate.js'
import { simulate } from './simulate.js'
import { trigger } from './trigger.js'

const HELP = `Usage: fastify-alipayplus <command> [options]

Commands:
  simulate   run a local Alipay+ simulator that sends signed notifications to your app
  trigger    make a running simulator complete a payment and notify your app
  migrate    apply the plugin's migrations to a database
  doctor     check a configuration (keys, gateway, database, wake-up) and say what to fix

\`fastify-alipayplus <command> --help\` describes each.
`

const COMMANDS: Record<string, (args: string[], out: NodeJS.WritableStream) => Promise<number>> = { simulate, trigger, migrate, doctor }

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP)
    return name === undefined ? 2 : 0
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    process.stderr.write(`fastify-alipayplus: unknown command "${name}"\n\n${HELP}`)
    return 2
  }
  try {
    return await command(args, process.stdout)
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`fastify-alipayplus ${name}: ${error.message}\nSee \`fastify-alipayplus ${name} --help\`.\n`)
      return 2
    }
    process.stderr.write(`fastify-alipayplus ${name}: ${(error as Error).message}\n`)
    return 1
  }
}

process.exitCode = await main(process.argv.slice(2))
