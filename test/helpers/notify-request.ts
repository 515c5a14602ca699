// Builds notifyPayment requests exactly as Alipay+ sends them: JSON body, Client-Id,
// Request-Time and an RSA256 Signature header over "POST <path>\n<clientId>.<time>.<body>".
import type { KeyObject } from 'node:crypto'
import { signMessage } from '../../src/protocol/signature.js'
import { CLIENT_ID } from './merchant-app.js'

export const NOTIFY_PATH = '/alipayplus/notifyPayment'

export function notifyBody(orderNo: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
    paymentRequestId: orderNo,
    paymentId: `2026112619074101000000${orderNo.length}`,
    acquirerId: '1022188000000000001',
    pspId: '1022172000000000001',
    customerId: '208823000000000000',
    walletBrandName: 'TestWallet',
    paymentAmount: { currency: 'USD', value: '100' },
    paymentTime: '2026-11-26T10:00:00+08:00',
    ...overrides,
  }
}

export async function signedNotify(
  key: KeyObject,
  body: string | Record<string, unknown>,
  options: { path?: string; time?: string; clientId?: string } = {},
): Promise<{ method: 'POST'; url: string; headers: Record<string, string>; payload: string }> {
  const payload = typeof body === 'string' ? body : JSON.stringify(body)
  const path = options.path ?? NOTIFY_PATH
  const headers = await signMessage({
    path,
    clientId: options.clientId ?? CLIENT_ID,
    time: options.time ?? '2026-11-26T10:00:01+08:00',
    body: payload,
    privateKey: key,
    keyVersion: '1',
    timeHeader: 'Request-Time',
  })
  return { method: 'POST', url: path, headers, payload }
}
