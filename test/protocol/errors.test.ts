import t from 'tap'
import { AlipayPlusSetupError, InquiryClientClosedError } from '../../src/protocol/errors.js'

t.test('AlipayPlusSetupError carries the Alipay+ result code and a stable code', async (t) => {
  const error = new AlipayPlusSetupError('INVALID_SIGNATURE', 'The signature is invalid.', 200)
  t.ok(error instanceof AlipayPlusSetupError)
  t.ok(error instanceof Error)
  t.equal(error.code, 'FST_ALIPAYPLUS_SETUP_ERROR')
  t.equal(error.alipayResultCode, 'INVALID_SIGNATURE')
  t.equal(error.httpStatus, 200)
  t.equal(error.statusCode, 500)
  t.match(error.message, /INVALID_SIGNATURE \(The signature is invalid\.\)/)
  t.notOk(new InquiryClientClosedError() instanceof AlipayPlusSetupError)
})

t.test('a remote message is bounded', async (t) => {
  const error = new AlipayPlusSetupError('PROCESS_FAIL', 'x'.repeat(10_000))
  t.ok(error.message.length < 500)
  t.equal(error.httpStatus, undefined)
})
