// Inquiry answers that cannot be trusted (their signature fails, is missing, or they are about
// another payment) are of two kinds that look alike one at a time: a forged or garbled answer on
// the path, which the next call fixes, and a wrong configuration (the wrong Alipay+ public key, a
// proxy that rewrites answers), which no call fixes. One such answer among good ones must not
// fail a customer's checkout, so it is retried on the normal schedule (and alerted); only a run
// of them on this instance, with no trusted answer between, is taken as the setup's fault.
//
// Why a count across the instance, not per order: a wrong key fails every order's answers, so
// the run builds up within a few ticks of all loops together, while a single bad answer is
// followed by good ones for other orders (or the same one) that reset it.

/** Untrusted inquiry answers in a row on one instance that end the waits with a setup error. */
export const UNTRUSTED_ANSWERS_LIMIT = 5

export class UntrustedAnswers {
  #inARow = 0

  /** Counts an untrusted answer; true when the run is long enough to blame the configuration. */
  seen(): boolean {
    this.#inARow++
    return this.#inARow >= UNTRUSTED_ANSWERS_LIMIT
  }

  /** A trusted answer: the configuration verifies Alipay+'s answers. */
  trusted(): void {
    this.#inARow = 0
  }
}
