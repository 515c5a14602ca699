// `fastify-alipayplus trigger`: makes a running `simulate` send one notification, through the
// simulator's control API (/_sim). The payment is created on the simulator first when it does
// not know it yet, with the --amount the app's order has.
import { type Parsed, parseCommandLine, stringFlag, UsageError, urlFlag } from './args.js'
import { DEFAULT_SIMULATOR_PORT } from './simulate.js'

export const TRIGGER_HELP = `Usage: fastify-alipayplus trigger <orderNo> <kind> [options]

Makes a running \`fastify-alipayplus simulate\` complete the payment <orderNo> and send
your app a signed notifyPayment. <kind> is one of:
  success     the payment succeeded; one notification
  fail        the payment failed (USER_BALANCE_NOT_ENOUGH); one notification
  delay       the payment succeeded, but the notification comes only after --delay-ms:
              your app learns it by inquiryPayment first
  duplicate   the payment succeeded; the notification is sent twice at once
  conflict    the payment succeeded, but the notification's amount differs from the order's:
              your app must refuse to record it (amount_mismatch)

Options:
  --amount <CUR:value>  the order's amount in minor units, e.g. USD:100 (required when the
                        simulator does not know the payment yet)
  --to <url>            the simulator (default http://127.0.0.1:${DEFAULT_SIMULATOR_PORT})
  --delay-ms <ms>       with delay: how long the notification waits (default 30000)
  -h, --help            this help
`

export const TRIGGER_FLAGS = {
  amount: { type: 'string' },
  to: { type: 'string' },
  'delay-ms': { type: 'string' },
} as const

const KINDS = ['success', 'fail', 'delay', 'duplicate', 'conflict'] as const
type Kind = (typeof KINDS)[number]

function amountFlag(parsed: Parsed): { currency: string; value: string } | undefined {
  const text = stringFlag(parsed, 'amount')
  if (text === undefined) return undefined
  const match = /^([A-Z]{3}):(\d+)$/.exec(text)
  if (!match) throw new UsageError(`--amount must be CURRENCY:minor-units, e.g. USD:100 (1.00 USD), got "${text}"`)
  return { currency: match[1]!, value: match[2]! }
}

function faultsOf(kind: Kind, parsed: Parsed): Record<string, number> {
  switch (kind) {
    case 'delay': {
      const text = stringFlag(parsed, 'delay-ms', '30000')!
      if (!/^\d+$/.test(text)) throw new UsageError(`--delay-ms must be a whole number of milliseconds, got "${text}"`)
      return { notifyDelayMs: Number(text) }
    }
    case 'duplicate':
      return { notifyDuplicateRate: 1 }
    case 'conflict':
      return { notifyWrongAmountRate: 1 }
    default:
      return {}
  }
}

/** One call to the simulator's control API; its error answer becomes a readable message. */
async function control(base: URL, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  let response: Response
  try {
    response = await fetch(new URL(`/_sim${path}`, base), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch (error) {
    throw new UsageError(`no simulator answers at ${base.origin} (${(error as Error).cause ?? (error as Error).message}): start one with \`fastify-alipayplus simulate\`, or pass --to`)
  }
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON: keep the text for the message
  }
  return { status: response.status, body: parsed }
}

export async function trigger(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const parsed = parseCommandLine(args, TRIGGER_FLAGS)
  if (parsed.values.help) {
    out.write(TRIGGER_HELP)
    return 0
  }
  const [orderNo, kindText, ...extra] = parsed.positionals
  if (orderNo === undefined || kindText === undefined) throw new UsageError('needs <orderNo> and <kind>')
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`)
  if (!(KINDS as readonly string[]).includes(kindText)) throw new UsageError(`<kind> must be one of ${KINDS.join(', ')}, got "${kindText}"`)
  const kind = kindText as Kind
  const base = urlFlag(parsed, 'to', stringFlag(parsed, 'to', `http://127.0.0.1:${DEFAULT_SIMULATOR_PORT}`)!)
  const amount = amountFlag(parsed)
  const id = encodeURIComponent(orderNo)
  const faults = faultsOf(kind, parsed)

  const known = await control(base, 'GET', `/payments/${id}`)
  if (known.status === 404) {
    if (amount === undefined) throw new UsageError(`the simulator does not know ${orderNo} yet: pass --amount with the order's amount, e.g. --amount USD:100`)
    const created = await control(base, 'POST', '/payments', { paymentRequestId: orderNo, amount, faults })
    if (created.status !== 201) throw new Error(`the simulator refused the payment: ${JSON.stringify(created.body)}`)
  } else if (known.status === 200) {
    if (amount !== undefined && (known.body.amount?.currency !== amount.currency || known.body.amount?.value !== amount.value)) {
      throw new UsageError(`the simulator knows ${orderNo} with amount ${known.body.amount?.currency}:${known.body.amount?.value}, not ${amount.currency}:${amount.value}`)
    }
    if (Object.keys(faults).length > 0) {
      const set = await control(base, 'PUT', `/payments/${id}/faults`, faults)
      if (set.status !== 200) throw new Error(`the simulator refused the faults: ${JSON.stringify(set.body)}`)
    }
  } else {
    throw new Error(`the simulator answered ${known.status}: ${JSON.stringify(known.body)}`)
  }

  const outcome = kind === 'fail' ? { status: 'FAIL', resultCode: 'USER_BALANCE_NOT_ENOUGH', resultMessage: 'triggered by fastify-alipayplus trigger' } : { status: 'SUCCESS' }
  const completed = await control(base, 'POST', `/payments/${id}/complete`, outcome)
  if (completed.status !== 200) throw new Error(`the simulator could not complete ${orderNo}: ${JSON.stringify(completed.body)}`)
  const when = kind === 'delay' ? ` in ${faults.notifyDelayMs} ms` : ''
  out.write(`${orderNo}: ${outcome.status} at the simulator; notifyPayment ${kind === 'duplicate' ? 'sent twice' : 'sent'}${when}\n`)
  return 0
}
