// Why a polling run stops, as Errors p-retry can carry: each tick that is not final throws
// one, and the signal that stops a run is aborted with one. Errors, not bare objects or
// symbols: p-retry turns a non-Error into a TypeError ("Non-error was thrown") and logs that.
import type { PaymentOrderRecord } from '../store/prisma-types.js'

/**
 * Control flow, not a fault: nobody reads its stack, and capturing one per tick of 10,000
 * orders is memory that outlives the backoff delay (old-generation garbage).
 */
class Stackless extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(message)
    Error.stackTraceLimit = limit
  }
}

/** A tick that did not reach a final result; p-retry waits and tries again. */
export class NotFinalYet extends Stackless {}

/** The notify route (or the wake-up) published the order's final result: stop asking. */
export class Finalized extends Stackless {
  constructor(readonly order: PaymentOrderRecord) {
    super(`order final (${order.status})`)
  }
}

/** Every waiter of the order left (window over, aborted): nobody needs the answer. */
export class NoWaiters extends Stackless {
  constructor() {
    super('no waiters left')
  }
}

/**
 * The order's next tick would queue behind other orders for a turn at Alipay+: its p-retry run
 * ends here, and the order waits in the turn queue as a small record, not as a suspended run.
 */
export class Parked extends Stackless {
  constructor() {
    super('waiting for a turn')
  }
}
