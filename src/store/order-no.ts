// The orderNo check shared by the store, the poller and the notify route. orderNo is sent to
// Alipay+ as paymentRequestId, which is at most 64 characters.
import { InvalidOrderNoError } from '../errors.js'

export function assertOrderNo(orderNo: unknown): asserts orderNo is string {
  if (typeof orderNo !== 'string' || orderNo.length === 0 || orderNo.length > 64) {
    throw new InvalidOrderNoError(`orderNo must be a string of 1 to 64 characters, got ${JSON.stringify(orderNo)}`)
  }
}
