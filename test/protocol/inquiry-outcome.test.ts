import t from 'tap'
import { classifyInquiryResponse } from '../../src/protocol/inquiry-outcome.js'

const OK = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'Success' }
const amount = { currency: 'USD', value: '1000' }

t.test('result S + paymentResult S is a final SUCCESS with the payment details', async (t) => {
  const response = {
    result: OK,
    paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
    paymentRequestId: 'order-1',
    paymentId: '20190608114010800100188820200350000',
    paymentAmount: amount,
    paymentTime: '2019-06-08T11:40:10+08:00',
  }
  t.same(classifyInquiryResponse(200, response), {
    kind: 'final',
    status: 'SUCCESS',
    resultCode: 'SUCCESS',
    resultMessage: 'success',
    paymentId: '20190608114010800100188820200350000',
    paymentAmount: amount,
    paymentTime: '2019-06-08T11:40:10+08:00',
    response,
  })
})

t.test('a SUCCESS without a valid amount is an invalid answer, never a retry; a FAIL drops a bad amount', async (t) => {
  const paid = { resultCode: 'SUCCESS', resultStatus: 'S' }
  for (const [name, paymentAmount] of [
    ['a number', 12],
    ['no currency', { value: '100' }],
    ['a float value', { currency: 'USD', value: '1.00' }],
    ['null', null],
  ] as const) {
    const response = { result: OK, paymentResult: paid, paymentAmount }
    t.match(classifyInquiryResponse(200, response), { kind: 'invalid_answer', resultCode: 'SUCCESS', problem: /paymentAmount/, response }, name)
  }
  t.match(classifyInquiryResponse(200, { result: OK, paymentResult: paid }), {
    kind: 'invalid_answer',
    problem: 'a SUCCESS without paymentAmount',
  })
  const failed = classifyInquiryResponse(200, { result: OK, paymentResult: { resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' }, paymentAmount: 12 })
  t.equal(failed.kind, 'final')
  t.equal(failed.kind === 'final' && 'paymentAmount' in failed, false, 'the FAIL is recordable without it')
})

t.test('resultCode and paymentId are checked as the notify route checks them (1 to 64 characters)', async (t) => {
  const answer = (paymentResult: object, paymentId?: string) => ({ result: OK, paymentResult, paymentAmount: amount, paymentId })
  const paid = { resultCode: 'SUCCESS', resultStatus: 'S' }
  const closed = { resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' }
  t.match(classifyInquiryResponse(200, answer({ ...closed, resultCode: 'R'.repeat(65) })), { kind: 'invalid_answer', problem: /resultCode is longer than 64/ })
  t.match(classifyInquiryResponse(200, answer({ ...paid, resultCode: '' })), { kind: 'invalid_answer', problem: /resultCode is empty/ })
  t.match(classifyInquiryResponse(200, answer(paid, 'P'.repeat(65))), { kind: 'invalid_answer', problem: /paymentId is longer than 64/ })
  t.match(classifyInquiryResponse(200, answer({ ...paid, resultCode: 'S'.repeat(64) }, 'P'.repeat(64))), { kind: 'final', paymentId: 'P'.repeat(64) }, 'at the limit')
  const failed = classifyInquiryResponse(200, answer(closed, 'P'.repeat(65)))
  t.match(failed, { kind: 'final', status: 'FAIL' }, 'a FAIL, which does not use the paymentId, is recordable')
  t.equal(failed.kind === 'final' && 'paymentId' in failed, false, 'without the over-long paymentId')
})

t.test('result S + paymentResult F is a final FAIL with its code', async (t) => {
  const outcome = classifyInquiryResponse(200, { result: OK, paymentResult: { resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F', resultMessage: 'closed' } })
  t.match(outcome, { kind: 'final', status: 'FAIL', resultCode: 'ORDER_IS_CLOSED', resultMessage: 'closed' })
})

t.test('result S + paymentResult U is in process', async (t) => {
  const response = { result: OK, paymentResult: { resultCode: 'PAYMENT_IN_PROCESS', resultStatus: 'U' } }
  t.same(classifyInquiryResponse(200, response), { kind: 'in_process', resultCode: 'PAYMENT_IN_PROCESS', response })
})

t.test('result U, 5xx, 429, 408 and unreadable 2xx answers are retried', async (t) => {
  t.match(classifyInquiryResponse(200, { result: { resultCode: 'UNKNOWN_EXCEPTION', resultStatus: 'U', resultMessage: 'boom' } }), {
    kind: 'retry',
    reason: 'unknown_exception',
    resultCode: 'UNKNOWN_EXCEPTION',
    message: 'boom',
  })
  t.match(classifyInquiryResponse(200, { result: { resultCode: 'REQUEST_TRAFFIC_EXCEED_LIMIT', resultStatus: 'U' } }), {
    kind: 'retry',
    reason: 'traffic_limit',
    resultCode: 'REQUEST_TRAFFIC_EXCEED_LIMIT',
  })
  t.match(classifyInquiryResponse(502, undefined), { kind: 'retry', reason: 'http_status', httpStatus: 502 })
  // A 5xx never yields a final result, even with a body that looks like one.
  t.match(classifyInquiryResponse(500, { result: OK, paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S' } }), {
    kind: 'retry',
    reason: 'http_status',
    resultCode: 'SUCCESS',
  })
  t.match(classifyInquiryResponse(429, undefined), { kind: 'retry', reason: 'traffic_limit', httpStatus: 429 })
  t.match(classifyInquiryResponse(408, undefined), { kind: 'retry', reason: 'http_status', httpStatus: 408 })
  for (const body of [undefined, 'text', [1, 2], {}, { result: { resultStatus: 'X', resultCode: 'A' } }, { result: OK }, { result: OK, paymentResult: {} }]) {
    t.match(classifyInquiryResponse(200, body), { kind: 'retry', reason: 'malformed_response' }, JSON.stringify(body) ?? 'undefined')
  }
})

t.test('result F ORDER_NOT_EXIST is its own outcome, never a FAIL', async (t) => {
  const response = { result: { resultCode: 'ORDER_NOT_EXIST', resultStatus: 'F', resultMessage: 'no' } }
  t.same(classifyInquiryResponse(200, response), { kind: 'order_not_exist', response })
  t.same(classifyInquiryResponse(404, response), { kind: 'order_not_exist', response })
})

t.test('any other result F is a setup error', async (t) => {
  for (const code of ['ACCESS_DENIED', 'INVALID_SIGNATURE', 'KEY_NOT_FOUND', 'INVALID_CLIENT', 'PARAM_ILLEGAL', 'INVALID_API', 'PROCESS_FAIL', 'SOMETHING_NEW']) {
    t.same(classifyInquiryResponse(200, { result: { resultCode: code, resultStatus: 'F', resultMessage: `m ${code}` } }), {
      kind: 'setup_error',
      resultCode: code,
      resultMessage: `m ${code}`,
      httpStatus: 200,
    })
  }
  t.match(classifyInquiryResponse(401, { result: { resultCode: 'INVALID_SIGNATURE', resultStatus: 'F' } }), {
    kind: 'setup_error',
    resultCode: 'INVALID_SIGNATURE',
    resultMessage: 'INVALID_SIGNATURE',
    httpStatus: 401,
  })
})

t.test('4xx and 3xx without a readable result are setup errors', async (t) => {
  t.match(classifyInquiryResponse(404, undefined), { kind: 'setup_error', resultCode: 'HTTP_404', httpStatus: 404 })
  t.match(classifyInquiryResponse(302, { hello: 1 }), { kind: 'setup_error', resultCode: 'HTTP_302', httpStatus: 302 })
})
