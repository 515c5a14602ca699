// notifyPayment requests exactly as Alipay+ sends them (JSON body, Client-Id, Request-Time,
// RSA256 Signature over "POST <path>\n<clientId>.<time>.<body>"), signed ahead of a timed run.
import type { KeyObject } from 'node:crypto'
import { nowRequestTime, signMessage } from '../../src/protocol/signature.js'
import { CLIENT_ID } from '../../test/helpers/merchant-app.js'

export { CLIENT_ID }
export const NOTIFY_PATH = '/alipayplus/notifyPayment'
export const AMOUNT = { currency: 'USD', value: '100' } as const

export interface PreparedRequest {
  orderNo: string
  headers: Record<string, string>
  body: string
}

export function notifyBody(orderNo: string): string {
  return JSON.stringify({
    paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
    paymentRequestId: orderNo,
    paymentId: `2026112611400${orderNo}`,
    acquirerId: '1022188000000000001',
    pspId: '1022172000000000001',
    customerId: '208823000000000000',
    walletBrandName: 'TestWallet',
    paymentAmount: AMOUNT,
    paymentTime: '2026-11-26T10:00:00+08:00',
  })
}

/** Signs one notification per order, `concurrency` signatures at a time (libuv thread pool). */
export async function presignNotifications(orderNos: string[], alipayPrivateKey: KeyObject, concurrency = 32): Promise<PreparedRequest[]> {
  const out: PreparedRequest[] = new Array(orderNos.length)
  let next = 0
  const worker = async () => {
    for (let i = next++; i < orderNos.length; i = next++) {
      const orderNo = orderNos[i]!
      const body = notifyBody(orderNo)
      const headers = await signMessage({
        path: NOTIFY_PATH,
        clientId: CLIENT_ID,
        time: nowRequestTime(),
        body,
        privateKey: alipayPrivateKey,
        keyVersion: '1',
        timeHeader: 'Request-Time',
      })
      out[i] = { orderNo, headers, body }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return out
}

/** Unsigned requests with the same body, for the routes that do no crypto. */
export function unsignedNotifications(orderNos: string[]): PreparedRequest[] {
  return orderNos.map((orderNo) => ({ orderNo, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: notifyBody(orderNo) }))
}

export function orderNumbers(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(7, '0')}`)
}
