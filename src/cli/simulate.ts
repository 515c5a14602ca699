// `fastify-alipayplus simulate`: the project's simulator as a local Alipay+ gateway for a
// developer's own server. It answers inquiryPayment and cancelPayment, and sends signed
// notifyPayment requests to --forward-to when `trigger` (or the /_sim control API) completes a
// payment. Prints the settings to paste into the app; runs until Ctrl-C.
import { createSimulator } from '../simulator/index.js'
import { type Parsed, parseCommandLine, portFlag, requiredFlag, stringFlag, urlFlag } from './args.js'
import { loadOrCreateSimulatorKeys } from './sim-keys.js'

export const SIMULATE_HELP = `Usage: fastify-alipayplus simulate --forward-to <url> [options]

Runs a local Alipay+ simulator: it answers your app's inquiryPayment and cancelPayment calls,
and sends signed notifyPayment requests to your app. Complete a payment with
\`fastify-alipayplus trigger\`. Stops on Ctrl-C.

Options:
  --forward-to <url>   your app's notifyPayment URL, e.g. http://localhost:3000/alipayplus/notifyPayment (required)
  --port <n>           port to listen on (default 4000; 0: any free port)
  --host <host>        address to listen on (default 127.0.0.1)
  --client-id <id>     the Client-Id your app uses (default SIMULATOR_CLIENT)
  --keys-dir <dir>     where the test key pairs are kept, made on first run (default ./.alipayplus-sim)
  -h, --help           this help
`

export const SIMULATE_FLAGS = {
  'forward-to': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'client-id': { type: 'string' },
  'keys-dir': { type: 'string' },
} as const

export const DEFAULT_SIMULATOR_PORT = 4000

function settings(parsed: Parsed, gatewayUrl: string, clientId: string, keys: Awaited<ReturnType<typeof loadOrCreateSimulatorKeys>>): string {
  return `Alipay+ simulator listening on ${gatewayUrl}
Notifications go to ${stringFlag(parsed, 'forward-to')}
Test keys ${keys.generated ? 'written to' : 'read from'} ${keys.dir} (for this simulator only, never production keys)

Plugin options for your app:
  gatewayUrl:      '${gatewayUrl}'
  clientId:        '${clientId}'
  privateKey:      readFileSync('${keys.files.merchantPrivate}', 'utf8')
  alipayPublicKey: readFileSync('${keys.files.alipayPublic}', 'utf8')

Complete a payment (your app must have created the order with the same amount):
  npx fastify-alipayplus trigger <orderNo> success --amount USD:100 --to ${gatewayUrl}
Ctrl-C to stop.
`
}

export async function simulate(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const parsed = parseCommandLine(args, SIMULATE_FLAGS)
  if (parsed.values.help) {
    out.write(SIMULATE_HELP)
    return 0
  }
  const forwardTo = urlFlag(parsed, 'forward-to', requiredFlag(parsed, 'forward-to', "your app's notifyPayment URL"))
  const port = portFlag(parsed, 'port', DEFAULT_SIMULATOR_PORT)
  const host = stringFlag(parsed, 'host', '127.0.0.1')!
  const clientId = stringFlag(parsed, 'client-id', 'SIMULATOR_CLIENT')!
  const keys = await loadOrCreateSimulatorKeys(stringFlag(parsed, 'keys-dir', '.alipayplus-sim')!)

  const simulator = createSimulator({
    clientId,
    merchantPublicKey: keys.merchantPublicKey,
    alipayPrivateKey: keys.alipayPrivateKey,
    notifyUrl: forwardTo.toString(),
  })
  const gatewayUrl = await simulator.listen({ port, host })
  out.write(settings(parsed, gatewayUrl, clientId, keys))

  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await simulator.close()
  return 0
}
