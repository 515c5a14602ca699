// Errors of the simulator's control API (programmatic and /_sim over HTTP, where statusCode
// becomes the reply status).
import createError from '@fastify/error'

export const SimUnknownPaymentError = createError<[string]>(
  'FST_ALIPAYPLUS_SIM_UNKNOWN_PAYMENT',
  'Simulator: no payment with paymentRequestId "%s"',
  404,
)

export const SimDuplicatePaymentError = createError<[string]>(
  'FST_ALIPAYPLUS_SIM_DUPLICATE_PAYMENT',
  'Simulator: a payment with paymentRequestId "%s" already exists',
  409,
)

export const SimPaymentFinalError = createError<[string]>(
  'FST_ALIPAYPLUS_SIM_PAYMENT_FINAL',
  'Simulator: payment "%s" already has a final result, which never changes',
  409,
)

export const SimNoNotificationError = createError<[string]>(
  'FST_ALIPAYPLUS_SIM_NO_NOTIFICATION',
  'Simulator: no notification was scheduled for payment "%s"',
  404,
)

export const SimInvalidInputError = createError<[string]>('FST_ALIPAYPLUS_SIM_INVALID_INPUT', 'Simulator: %s', 400)
