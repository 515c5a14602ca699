// The headers of a signed Alipay+ answer to an API call, as the simulator sends them.
import type { KeyObject } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { nowRequestTime, signMessage } from '../protocol/signature.js'

export interface AnswerSigner {
  clientId: string
  keyVersion: string
  alipayPrivateKey: KeyObject
}

/**
 * Signed over the API path alone, whatever pathPrefix the simulator is served under: that
 * prefix plays a proxy's, which Alipay+ never sees. Alipay+ answers with the Client-Id it was
 * called with.
 */
export function signAnswer(signer: AnswerSigner, apiPath: string, requestHeaders: IncomingHttpHeaders, body: string) {
  const requestClientId = requestHeaders['client-id']
  return signMessage({
    path: apiPath,
    clientId: typeof requestClientId === 'string' && requestClientId !== '' ? requestClientId : signer.clientId,
    time: nowRequestTime(),
    body,
    privateKey: signer.alipayPrivateKey,
    keyVersion: signer.keyVersion,
    timeHeader: 'Response-Time',
  })
}
