// The bodies the notify route answers with, in Alipay+'s result envelope. Only
// result.resultStatus === 'S' stops Alipay+ from delivering the notification again.
export interface AlipayResult {
  result: { resultCode: string; resultStatus: 'S' | 'F' | 'U'; resultMessage: string }
}

function result(resultCode: string, resultStatus: 'S' | 'F' | 'U', resultMessage: string): AlipayResult {
  return { result: { resultCode, resultStatus, resultMessage } }
}

/** Receipt acknowledged: the result is durably recorded, or was already. */
export const ACKNOWLEDGED = result('SUCCESS', 'S', 'success')

export const unknownOrder = (orderNo: string) =>
  result('ORDER_NOT_EXIST', 'U', `no order ${JSON.stringify(orderNo)} here yet; deliver again later`)

export const notRecorded = () => result('UNKNOWN_EXCEPTION', 'U', 'the result could not be recorded; deliver again later')

export const invalidSignature = (why: string) => result('INVALID_SIGNATURE', 'F', why)

export const invalidClient = () => result('INVALID_CLIENT', 'F', 'Client-Id not accepted here')

export const invalidRequest = (why: string) => result('PARAM_ILLEGAL', 'F', why)
