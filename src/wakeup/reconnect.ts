// Reconnecting a lost wake-up connection: p-retry with a short backoff, for as long as the
// plugin runs. While it is down, awaited orders are still found by their polling ticks.
import type { FastifyBaseLogger } from 'fastify'
import pRetry from 'p-retry'

export function reconnectForever(connect: () => Promise<void>, signal: AbortSignal, log: FastifyBaseLogger, what: string): Promise<void> {
  return pRetry(connect, {
    retries: Number.POSITIVE_INFINITY,
    minTimeout: 100,
    maxTimeout: 5_000,
    signal,
    onFailedAttempt: ({ error, attemptNumber }) => {
      log.warn({ err: error, attemptNumber }, `alipayplus wakeup: ${what} reconnect failed; retrying`)
    },
  })
}
