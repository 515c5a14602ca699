// The headers of a signed Alipay+ answer to an API call, as the simulator sends them.
import type { KeyObject } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { nowRequestTime, signMessage } from '../protocol/signature.js'

export interface AnswerSigner {
  clientId: string
  keyVersion: string
  alipayPrivateKey: KeyObject
}

/** The Client-Id of the fault answerOtherClientIdRate: another merchant's. */
export const OTHER_MERCHANT_CLIENT_ID = 'SANDBOX_ANOTHER_MERCHANT'

/**
 * Signed over the API path alone, whatever pathPrefix the simulator is served under: that
 * prefix plays a proxy's, which Alipay+ never sees. Alipay+ answers with the Client-Id it was
 * called with, or `otherClientId` (the fault answerOtherClientIdRate).
 */
export function signAnswer(signer: AnswerSigner, apiPath: string, requestHeaders: IncomingHttpHeaders, body: string, otherClientId = false) {
  const requestClientId = requestHeaders['client-id']
  const answeredClientId = typeof requestClientId === 'string' && requestClientId !== '' ? requestClientId : signer.clientId
  return signMessage({
    path: apiPath,
    clientId: otherClientId ? OTHER_MERCHANT_CLIENT_ID : answeredClientId,
    time: nowRequestTime(),
    body,
    privateKey: signer.alipayPrivateKey,
    keyVersion: signer.keyVersion,
    timeHeader: 'Response-Time',
  })
}
