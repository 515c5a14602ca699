// The optional OpenTelemetry binding: a subscriber of the plugin's diagnostics channels that
// turns their messages into metrics and spans. @opentelemetry/api is an optional peer
// dependency, imported here only when openTelemetry is not disabled; without an SDK registered
// by the application, its global providers are no-ops.
import type { Channel } from 'node:diagnostics_channel'
import type { FastifyBaseLogger } from 'fastify'
import type * as Api from '@opentelemetry/api'
import { InvalidOptionError } from '../errors.js'
import {
  type DeliverMessage,
  deliverChannel,
  type InquiryMessage,
  inquiryChannel,
  type NotifyMessage,
  notifyChannel,
  ownerOf,
  type ReconcileMessage,
  reconcileChannel,
  RUN_INSIDE,
  type TransitionMessage,
  transitionChannel,
} from './channels.js'
import { createInstruments, type GaugeSources, type Instruments } from './metrics.js'
import type { ResolvedOpenTelemetry } from './telemetry-options.js'

type OpenTelemetryApi = typeof Api

const SCOPE = 'fastify-alipayplus'

/** The API module, or null when disabled or (unless the application asked for it) not installed. */
export async function loadOpenTelemetry(options: ResolvedOpenTelemetry): Promise<OpenTelemetryApi | null> {
  if (!options.enabled) return null
  try {
    const api = (await import('@opentelemetry/api')) as OpenTelemetryApi & { default?: OpenTelemetryApi }
    // CommonJS: under ESM its exports may arrive on default.
    return api.metrics === undefined && api.default !== undefined ? api.default : api
  } catch {
    if (!options.required) return null
    throw new InvalidOptionError('openTelemetry', 'needs the @opentelemetry/api package: npm install @opentelemetry/api')
  }
}

/** error.type of OpenTelemetry's conventions: a stable code, else the error's name. */
function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string') return code
  return error instanceof Error ? error.name : typeof error
}

/**
 * What a call's outcome says as attributes: outcome kind, and error.type when it failed. A call
 * that threw was stopped by its caller (the result came another way, the wait ended) or by
 * close(): 'aborted', not a failure of the call.
 */
function callOutcome(message: InquiryMessage): { outcome: string; errorType?: string } {
  if (message.error !== undefined) return { outcome: 'aborted' }
  const result = message.result
  if (result === undefined) return { outcome: 'error', errorType: 'unknown' }
  switch (result.kind) {
    case 'retry':
      return { outcome: result.kind, errorType: result.resultCode ?? result.reason }
    case 'setup_error':
    case 'refused':
      return { outcome: result.kind, errorType: result.resultCode }
    case 'invalid_answer':
      return { outcome: result.kind, errorType: 'invalid_answer' }
    default:
      return { outcome: result.kind }
  }
}

interface Running {
  startedAt: number
  span?: Api.Span
}

export class OpenTelemetryBinding {
  readonly #api: OpenTelemetryApi
  readonly #owners: ReadonlySet<object>
  readonly #tracer: Api.Tracer
  readonly #instruments: Instruments
  readonly #log: FastifyBaseLogger
  readonly #running = new WeakMap<object, Running>()
  readonly #subscriptions: Array<() => void> = []

  constructor(
    api: OpenTelemetryApi,
    options: ResolvedOpenTelemetry,
    deps: { owners: ReadonlySet<object>; gauges: GaugeSources; log: FastifyBaseLogger },
  ) {
    this.#api = api
    this.#owners = deps.owners
    this.#log = deps.log
    const meterProvider = (options.meterProvider as Api.MeterProvider | undefined) ?? api.metrics.getMeterProvider()
    const tracerProvider = (options.tracerProvider as Api.TracerProvider | undefined) ?? api.trace.getTracerProvider()
    this.#instruments = createInstruments(meterProvider.getMeter(SCOPE), deps.gauges)
    this.#tracer = tracerProvider.getTracer(SCOPE)
  }

  start(): void {
    this.#trace<NotifyMessage>(notifyChannel, (message) => this.#notifyStart(message), (message) => this.#notifyEnd(message))
    this.#trace<InquiryMessage>(inquiryChannel, (message) => this.#callStart(message), (message) => this.#callEnd(message))
    this.#trace<DeliverMessage>(deliverChannel, (message) => this.#deliverStart(message), (message) => this.#deliverEnd(message))
    this.#trace<ReconcileMessage>(reconcileChannel, (message) => this.#begin(message), (message) => this.#reconcileEnd(message))
    const onTransition = this.#guard((message: TransitionMessage) => this.#transition(message))
    transitionChannel.subscribe(onTransition)
    this.#subscriptions.push(() => transitionChannel.unsubscribe(onTransition))
  }

  close(): void {
    for (const unsubscribe of this.#subscriptions.splice(0)) unsubscribe()
    this.#instruments.stopGauges()
  }

  /** Subscribes start and asyncEnd (every traced call ends with it, failed or not). */
  #trace<M>(channel: { start: Channel; asyncEnd: Channel }, start: (message: M) => void, end: (message: M) => void): void {
    const onStart = this.#guard(start)
    const onEnd = this.#guard(end)
    channel.start.subscribe(onStart)
    channel.asyncEnd.subscribe(onEnd)
    this.#subscriptions.push(() => {
      channel.start.unsubscribe(onStart)
      channel.asyncEnd.unsubscribe(onEnd)
    })
  }

  /**
   * Only this plugin instance's messages, and never a throw: diagnostics_channel turns a
   * subscriber's exception into an uncaught one.
   */
  #guard<M>(handle: (message: M) => void): (message: unknown) => void {
    return (message) => {
      const owner = ownerOf(message)
      if (owner === undefined || !this.#owners.has(owner)) return
      try {
        handle(message as M)
      } catch (error) {
        this.#log.warn({ err: error }, 'alipayplus openTelemetry: could not record')
      }
    }
  }

  #begin(message: object, span?: Api.Span): void {
    this.#running.set(message, span === undefined ? { startedAt: performance.now() } : { startedAt: performance.now(), span })
  }

  /** Seconds since #begin, and the span it started. */
  #finish(message: object): { seconds: number; span?: Api.Span } {
    const running = this.#running.get(message)
    this.#running.delete(message)
    const seconds = running === undefined ? 0 : (performance.now() - running.startedAt) / 1000
    return running?.span === undefined ? { seconds } : { seconds, span: running.span }
  }

  /** A span for `message`, the traced work run inside it so that spans it starts nest in it. */
  #startSpan(message: NotifyMessage | InquiryMessage | DeliverMessage, name: string, options: Api.SpanOptions): Api.Span {
    const { context, trace } = this.#api
    const span = this.#tracer.startSpan(name, options)
    const inside = trace.setSpan(context.active(), span)
    message[RUN_INSIDE] = (work) => context.with(inside, work)
    return span
  }

  #failed(span: Api.Span, error: unknown, type: string): void {
    if (error instanceof Error) span.recordException(error)
    span.setAttribute('error.type', type)
    span.setStatus({ code: this.#api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : type })
  }

  // The notify request has its span already (the application's HTTP instrumentation): the
  // result goes on it rather than on a span of ours.
  #notifyStart(message: NotifyMessage): void {
    this.#begin(message, this.#api.trace.getActiveSpan())
  }

  #notifyEnd(message: NotifyMessage): void {
    const { span } = this.#finish(message)
    const answer = message.answer ?? 'unknown'
    const reason = message.outcome ?? message.resultCode ?? 'none'
    this.#instruments.notifications.add(1, { 'alipayplus.answer': answer, 'alipayplus.reason': reason })
    if (span === undefined) return
    span.setAttributes({
      'alipayplus.answer': answer,
      'alipayplus.reason': reason,
      ...(message.orderNo !== undefined ? { 'alipayplus.order_no': message.orderNo } : {}),
    })
  }

  #callStart(message: InquiryMessage): void {
    const span = this.#startSpan(message, `alipayplus ${message.operation}`, {
      kind: this.#api.SpanKind.CLIENT,
      attributes: { 'alipayplus.operation': message.operation, 'alipayplus.order_no': message.orderNo },
    })
    this.#begin(message, span)
  }

  #callEnd(message: InquiryMessage): void {
    const { seconds, span } = this.#finish(message)
    const { outcome, errorType: type } = callOutcome(message)
    const attributes: Api.Attributes = { 'alipayplus.operation': message.operation, 'alipayplus.outcome': outcome }
    if (type !== undefined) attributes['error.type'] = type
    this.#instruments.operationDuration.record(seconds, attributes)
    if (span === undefined) return
    span.setAttribute('alipayplus.outcome', outcome)
    if (type !== undefined) this.#failed(span, message.error, type)
    span.end()
  }

  #deliverStart(message: DeliverMessage): void {
    // From the transition to the first run: later runs wait for their backoff on purpose.
    if (message.attempt === 1 && message.finalizedAt !== null) {
      this.#instruments.deliveryLag.record(Math.max(0, Date.now() - message.finalizedAt.getTime()) / 1000, {
        'alipayplus.status': message.status,
      })
    }
    const span = this.#startSpan(message, 'alipayplus deliver', {
      kind: this.#api.SpanKind.INTERNAL,
      attributes: {
        'alipayplus.order_no': message.orderNo,
        'alipayplus.status': message.status,
        'alipayplus.delivery.attempt': message.attempt,
      },
    })
    this.#begin(message, span)
  }

  #deliverEnd(message: DeliverMessage): void {
    const { seconds, span } = this.#finish(message)
    const failed = message.error !== undefined
    const attributes: Api.Attributes = { 'alipayplus.outcome': failed ? 'failed' : 'delivered' }
    if (failed) {
      attributes['error.type'] = errorType(message.error)
      this.#instruments.deliveryFailures.add(1, { 'error.type': attributes['error.type'] })
    }
    this.#instruments.deliveryDuration.record(seconds, attributes)
    if (span === undefined) return
    if (failed) this.#failed(span, message.error, attributes['error.type'] as string)
    span.end()
  }

  // No span for an empty pass (once a minute, it would be noise); one, back-dated to the
  // pass's start, for a pass that started polling or failed. Nothing nests in it: the polling
  // loops it starts outlive it.
  #reconcileEnd(message: ReconcileMessage): void {
    const running = this.#running.get(message)
    this.#running.delete(message)
    if ((message.result ?? 0) === 0 && message.error === undefined) return
    const startTime = running === undefined ? undefined : performance.timeOrigin + running.startedAt
    const span = this.#tracer.startSpan('alipayplus reconcile', {
      kind: this.#api.SpanKind.INTERNAL,
      attributes: { 'alipayplus.reconcile.started': message.result ?? 0 },
      ...(startTime !== undefined ? { startTime } : {}),
    })
    if (message.error !== undefined) this.#failed(span, message.error, errorType(message.error))
    span.end()
  }

  #transition(message: TransitionMessage): void {
    const attributes = { 'alipayplus.status': message.status, 'alipayplus.source': message.source }
    this.#instruments.results.add(1, attributes)
    const seconds = (message.finalizedAt.getTime() - message.createdAt.getTime()) / 1000
    this.#instruments.finalization.record(Math.max(0, seconds), attributes)
  }
}
