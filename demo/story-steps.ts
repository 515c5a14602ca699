// The steps of the story npm start tells first: one payment, as it happens. Each step is
// reported the moment the event behind it happens (a diagnostics-channel message of the
// plugin, an HTTP answer, the simulator's own record, a handler run), never from a script.

/** What happened, in the order a reader expects it; `checkStory` holds the run to it. */
export type StepKind =
  /** The merchant app created the order (POST /orders answered 201). */
  | 'order-created'
  /** inquiryPayment answered U PAYMENT_IN_PROCESS: the user has not paid yet. */
  | 'inquiry-in-process'
  /** Any other inquiryPayment answer about the order (told, not expected). */
  | 'inquiry-answered'
  /** The user paid: Alipay+ has the final result and sends notifyPayment. */
  | 'user-paid'
  /** A notifyPayment request reached an instance (through the round-robin front). */
  | 'notify-arrived'
  /** An instance won the order's init -> final transition (alipayplus:transition). */
  | 'result-recorded'
  /** The instance answered the notification (alipayplus:notify, answer sent). */
  | 'ack-sent'
  /** Alipay+ verified the answer's signature: the notification is delivered, no redelivery. */
  | 'ack-verified'
  /** awaitPaymentResult (GET /orders/:orderNo/result) answered with the final result. */
  | 'waiter-woke'
  /** onPaymentResult started on an instance. */
  | 'handler-ran'
  /** The database marks the order delivered. */
  | 'delivered'
  /** The story could not go on (an error, or no next event in time). */
  | 'stopped'

export interface Step {
  kind: StepKind
  /** The merchant instance (A, B) or 'Alipay+'. */
  who: string
  /** Milliseconds since the story's first step (the order's creation). */
  atMs: number
  text: string
  /** The facts the checks read (instance names, answers, statuses). */
  facts: Record<string, string | number | boolean | undefined>
}

export type StepListener = (step: Step) => void

/** Collects steps as they happen and tells a listener at once. */
export class StoryLog {
  readonly steps: Step[] = []
  #started: number | undefined
  readonly #listeners = new Set<StepListener>()

  constructor(listener: StepListener) {
    this.#listeners.add(listener)
  }

  /** Adds a listener; the returned function removes it. */
  watch(listener: StepListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  add(kind: StepKind, who: string, text: string, facts: Step['facts'] = {}): void {
    const now = performance.now()
    this.#started ??= now
    const step: Step = { kind, who, atMs: Math.round(now - this.#started), text, facts }
    this.steps.push(step)
    for (const listener of this.#listeners) listener(step)
  }

  first(kind: StepKind): Step | undefined {
    return this.steps.find((step) => step.kind === kind)
  }
}
