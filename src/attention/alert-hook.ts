// Calls the application's onAttention hook off the hot path: on the next turn of the event
// loop (setImmediate), never awaited, so a slow or hanging hook delays no notify answer and no
// polling loop; a throw or a rejection is caught and logged, never seen by the caller.
import type { FastifyBaseLogger } from 'fastify'
import type { AttentionAlert, AttentionHook } from './attention-alert.js'

export class AlertHook {
  readonly #hook: AttentionHook | undefined
  readonly #log: FastifyBaseLogger

  constructor(hook: AttentionHook | undefined, log: FastifyBaseLogger) {
    this.#hook = hook
    this.#log = log
  }

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
