// Child process of bench/awaiters.ts: the Alipay+ simulator (src/simulator) on 127.0.0.1, in
// its own process so that its RSA work and its bookkeeping do not count in the merchant
// process's memory and event-loop figures. Driven over IPC.
import type { AlipayPlusSimulator, Faults } from '../../src/simulator/index.js'
import { createSimulator } from '../../src/simulator/index.js'
import { serveRpc } from '../lib/rpc-server.js'

export interface SimStatsSummary {
  received: number
  inFlight: number
  maxConcurrent: number
  answered: Record<string, number>
  notifications: { scheduled: number; sent: number; acknowledged: number; pending: number; dropped: number; exhausted: number }
}

let sim: AlipayPlusSimulator | undefined

function simulator(): AlipayPlusSimulator {
  if (!sim) throw new Error('not started')
  return sim
}

serveRpc(
  {
    async start(input: {
      clientId: string
      merchantPublicPem: string
      alipayPrivatePem: string
      faults: Partial<Faults>
      redeliveryScheduleMs: number[]
      seed: number
    }): Promise<{ url: string }> {
      sim = createSimulator({
        clientId: input.clientId,
        merchantPublicKey: input.merchantPublicPem,
        alipayPrivateKey: input.alipayPrivatePem,
        faults: input.faults,
        redeliveryScheduleMs: input.redeliveryScheduleMs,
        seed: input.seed,
      })
      return { url: await sim.listen() }
    },
    setNotifyUrl(url: string) {
      simulator().setNotifyUrl(url)
    },
    createPayments(ids: string[], amount: { currency: string; value: string }) {
      for (const paymentRequestId of ids) simulator().createPayment({ paymentRequestId, amount })
    },
    complete(batch: Array<[string, 'SUCCESS' | 'FAIL']>) {
      for (const [id, status] of batch) simulator().completePayment(id, { status })
    },
    stats(): SimStatsSummary {
      const { inquiries, notifications } = simulator().stats()
      return {
        received: inquiries.received,
        inFlight: inquiries.inFlight,
        maxConcurrent: inquiries.maxConcurrent,
        answered: inquiries.answered as Record<string, number>,
        notifications: {
          scheduled: notifications.scheduled,
          sent: notifications.sent,
          acknowledged: notifications.acknowledged,
          pending: notifications.pending,
          dropped: notifications.dropped,
          exhausted: notifications.exhausted,
        },
      }
    },
    cpuUsage: () => process.cpuUsage(),
  },
  async () => {
    await sim?.close()
  },
)
