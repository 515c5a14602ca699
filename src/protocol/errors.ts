// Errors of the Alipay+ protocol layer, with stable FST_ALIPAYPLUS_* codes like src/errors.ts.
import createError from '@fastify/error'

const MAX_REMOTE_MESSAGE = 200

const SetupErrorBase = createError<[string, string]>(
  'FST_ALIPAYPLUS_SETUP_ERROR',
  'Alipay+ answered %s (%s): the request or the setup is wrong (client id, keys, gateway URL); it will not succeed by retrying',
  500,
)

/**
 * Alipay+ refused a call in a way that retrying cannot fix (result F such as INVALID_SIGNATURE,
 * or a response that cannot be trusted). `alipayResultCode` is the code to branch on.
 */
export class AlipayPlusSetupError extends SetupErrorBase {
  readonly alipayResultCode: string
  readonly httpStatus: number | undefined

  constructor(resultCode: string, resultMessage: string, httpStatus?: number) {
    // The message comes from the remote side: bound it so a misbehaving gateway cannot flood logs.
    super(resultCode, resultMessage.slice(0, MAX_REMOTE_MESSAGE))
    this.alipayResultCode = resultCode
    this.httpStatus = httpStatus
  }
}

export const InquiryClientClosedError = createError(
  'FST_ALIPAYPLUS_CLIENT_CLOSED',
  'The Alipay+ inquiry client was closed',
  500,
)
