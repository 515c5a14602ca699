// Fault switches and the seeded dice that decide them, so that a failing run can be replayed
// with the same seed. Rates are probabilities in [0, 1]; 0 and 1 never consume the RNG.
import { closest } from '../option-table.js'
import { SimInvalidInputError } from './errors.js'
import { seededRandom } from './random.js'

export interface Faults {
  /** A notification is lost entirely: never sent. */
  notifyDropRate: number
  /** Extra delay before a notification's first delivery. */
  notifyDelayMs: number
  /** The first delivery is sent twice, concurrently. */
  notifyDuplicateRate: number
  /** Deliveries that fall due together are sent in reverse order, one after another. Global only. */
  notifyReorder: boolean
  /** paymentAmount.value is altered in every delivery of the notification. */
  notifyWrongAmountRate: number
  /** A delivery attempt is signed with the wrong private key (decided per attempt). */
  notifyWrongKeyRate: number
  /** inquiryPayment answers result U UNKNOWN_EXCEPTION. */
  inquiryUnknownRate: number
  /** The first N inquiries after a payment became final still answer PAYMENT_IN_PROCESS. */
  inquiryInProcessFirstN: number
  /** A final payment answers PAYMENT_IN_PROCESS with this probability. */
  inquiryInProcessRate: number
  /** inquiryPayment answers HTTP 502/503 with a non-JSON body. */
  inquiry5xxRate: number
  /** inquiryPayment answers result U REQUEST_TRAFFIC_EXCEED_LIMIT. */
  inquiryTrafficLimitRate: number
  /** Delay before answering an inquiry. */
  inquirySlowMs: number
  /** The answer body is altered after it was signed. */
  inquiryTamperRate: number
  /** The first N inquiries of a payment get an answer altered after it was signed. */
  inquiryTamperFirstN: number
  /** A successful inquiry answer comes without paymentAmount (signed as sent: unrecordable). */
  inquiryNoAmountRate: number
  /** cancelPayment answers result U UNKNOWN_EXCEPTION, and cancels nothing. */
  cancelUnknownRate: number
  /** The first N cancelPayment calls for a payment answer U UNKNOWN_EXCEPTION, and cancel nothing. */
  cancelUnknownFirstN: number
  /** cancelPayment answers result F PROCESS_FAIL, and cancels nothing. */
  cancelFailRate: number
  /**
   * The first N cancelPayment calls for a payment are executed (the payment is closed, or
   * refunded) but never answered: the answer is held until the caller gives up (its timeout).
   */
  cancelAnswerLostFirstN: number
  /**
   * An inquiryPayment or cancelPayment answer comes with another merchant's Client-Id, signed
   * over it with Alipay+'s key (as Alipay+ answers that merchant): a valid signature, not ours.
   */
  answerOtherClientIdRate: number
}

export const NO_FAULTS: Readonly<Faults> = Object.freeze({
  notifyDropRate: 0,
  notifyDelayMs: 0,
  notifyDuplicateRate: 0,
  notifyReorder: false,
  notifyWrongAmountRate: 0,
  notifyWrongKeyRate: 0,
  inquiryUnknownRate: 0,
  inquiryInProcessFirstN: 0,
  inquiryInProcessRate: 0,
  inquiry5xxRate: 0,
  inquiryTrafficLimitRate: 0,
  inquirySlowMs: 0,
  inquiryTamperRate: 0,
  inquiryTamperFirstN: 0,
  inquiryNoAmountRate: 0,
  cancelUnknownRate: 0,
  cancelUnknownFirstN: 0,
  cancelFailRate: 0,
  cancelAnswerLostFirstN: 0,
  answerOtherClientIdRate: 0,
})

type FaultKind = 'rate' | 'count' | 'flag'

const KINDS: Record<keyof Faults, FaultKind> = {
  notifyDropRate: 'rate',
  notifyDelayMs: 'count',
  notifyDuplicateRate: 'rate',
  notifyReorder: 'flag',
  notifyWrongAmountRate: 'rate',
  notifyWrongKeyRate: 'rate',
  inquiryUnknownRate: 'rate',
  inquiryInProcessFirstN: 'count',
  inquiryInProcessRate: 'rate',
  inquiry5xxRate: 'rate',
  inquiryTrafficLimitRate: 'rate',
  inquirySlowMs: 'count',
  inquiryTamperRate: 'rate',
  inquiryTamperFirstN: 'count',
  inquiryNoAmountRate: 'rate',
  cancelUnknownRate: 'rate',
  cancelUnknownFirstN: 'count',
  cancelFailRate: 'rate',
  cancelAnswerLostFirstN: 'count',
  answerOtherClientIdRate: 'rate',
}

function validValue(kind: FaultKind, value: unknown): boolean {
  if (kind === 'flag') return typeof value === 'boolean'
  if (kind === 'rate') return typeof value === 'number' && value >= 0 && value <= 1
  return Number.isSafeInteger(value) && (value as number) >= 0
}

/** Checks a partial fault set (from code or from /_sim JSON) and returns a clean copy. */
export function parseFaults(input: unknown): Partial<Faults> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SimInvalidInputError('faults must be an object')
  }
  const faults: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(input)) {
    const kind = KINDS[name as keyof Faults] as FaultKind | undefined
    if (kind === undefined) {
      const meant = closest(name, Object.keys(KINDS))
      throw new SimInvalidInputError(`unknown fault "${name}"${meant === undefined ? '' : ` (did you mean "${meant}"?)`}`)
    }
    // As for every option: undefined is the default (no fault).
    if (value === undefined) continue
    if (!validValue(kind, value)) {
      const expected = kind === 'rate' ? 'a number from 0 to 1' : kind === 'flag' ? 'a boolean' : 'a non-negative integer'
      throw new SimInvalidInputError(`fault "${name}" must be ${expected}`)
    }
    faults[name] = value
  }
  return faults as Partial<Faults>
}

export class FaultDice {
  readonly #random: () => number

  constructor(seed: number) {
    this.#random = seededRandom(seed)
  }

  chance(rate: number): boolean {
    if (rate <= 0) return false
    if (rate >= 1) return true
    return this.#random() < rate
  }
}
