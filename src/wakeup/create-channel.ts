// The channel the `wakeup` option asks for; none for the poll fallback or off.
import type { FastifyBaseLogger } from 'fastify'
import { PostgresWakeChannel } from './postgres-channel.js'
import { RedisWakeChannel } from './redis-channel.js'
import type { WakeChannel } from './wake-channel.js'
import type { ResolvedWakeup } from './wakeup-options.js'

export function createWakeChannel(wakeup: ResolvedWakeup, log: FastifyBaseLogger): WakeChannel | null {
  switch (wakeup.kind) {
    case 'postgres':
      return new PostgresWakeChannel(wakeup.connection, wakeup.channel, wakeup.liveness, log)
    case 'redis':
      return new RedisWakeChannel(wakeup.connection, wakeup.channel, wakeup.liveness, log)
    case 'poll':
    case 'off':
      return null
  }
}
