// What bench/awaiters.ts and its merchant process (awaiters-merchant.ts) exchange over IPC.
// Types only: the parent runs through tsx, the merchant from compiled JavaScript.

export interface MerchantStart {
  databaseUrl: string
  gatewayUrl: string
  clientId: string
  merchantPrivatePem: string
  alipayPublicPem: string
}

/** One awaitPaymentResult call, as the merchant saw it settle. */
export interface WaiterOutcome {
  status?: string
  final?: boolean
  source?: 'notify' | 'inquiry' | 'cancel' | 'manual' | null
  error?: string
  /** Wall-clock ms (performance.timeOrigin + performance.now()). */
  resolvedAt: number
}

export interface AwaitersRun {
  /** Wall-clock ms when the waiters were started. */
  startedAt: number
  /** In the order of the orderNos sent. */
  outcomes: WaiterOutcome[]
  /** Event-loop utilization over the run. */
  elu: number
  heapUsedPeak: number
  loopDelayMs: { p50: number; p99: number; max: number; mean: number }
}
