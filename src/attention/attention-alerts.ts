// The plugin's sender of each AttentionAlert to the application's AttentionHook (the onAttention
// option). It calls the hook off the hot path: on the next turn of the event
// loop (setImmediate), never awaited, so a slow or hanging hook delays no notify answer and no
// polling loop; a throw or a rejection is caught and logged, never seen by the caller.
// raise() is the one way the plugin asks for attention: the alert's message logged at error,
// then the alert handed to the hook; flagAndRaise() the same for an alert that also flags the
// order, with the flag written in between.
import type { FastifyBaseLogger } from 'fastify'
import type { AttentionAlert, AttentionHook, AttentionReason } from './attention-alert.js'

/** An alert before its order is flagged: `attention` is what the flag's write returns. */
export type UnflaggedAlert = AttentionAlert extends infer A ? (A extends AttentionAlert ? Omit<A, 'attention'> : never) : never

export class AttentionAlerts {
  readonly #hook: AttentionHook | undefined
  readonly #log: FastifyBaseLogger

  constructor(hook: AttentionHook | undefined, log: FastifyBaseLogger) {
    this.#hook = hook
    this.#log = log
  }

  /**
   * Logs the alert's message at error with `fields` (on `log`: the caller's request logger, say;
   * else the plugin's), then hands the alert to the hook.
   */
  raise(alert: AttentionAlert, fields: object, log: FastifyBaseLogger = this.#log): void {
    log.error(fields, alert.message)
    this.emit(alert)
  }

  /**
   * Logs the alert's message at error, flags the order (`flag` returns the reason written, or
   * null when the order was not flagged), then hands the alert, with that reason, to the hook.
   * The line is logged before the write, so that a failing write (the database may be what
   * failed) still leaves it; the write's error is the caller's.
   */
  async flagAndRaise(
    alert: UnflaggedAlert,
    fields: object,
    log: FastifyBaseLogger,
    flag: () => Promise<AttentionReason | null>,
  ): Promise<AttentionReason | null> {
    log.error(fields, alert.message)
    const attention = await flag()
    this.emit({ ...alert, attention } as AttentionAlert)
    return attention
  }

  /** Hands the alert to the hook without logging it (an alert logged at a lower level, or not at all). */
  emit(alert: AttentionAlert): void {
    const hook = this.#hook
    if (hook === undefined) return
    setImmediate(() => {
      const failed = (error: unknown) =>
        this.#log.error({ err: error, kind: alert.kind, orderNo: alert.orderNo }, 'alipayplus onAttention hook failed')
      try {
        const returned = hook(alert)
        if (returned !== undefined && typeof (returned as PromiseLike<void>).then === 'function') {
          Promise.resolve(returned).catch(failed)
        }
      } catch (error) {
        failed(error)
      }
    })
  }
}
