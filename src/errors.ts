// Every error the plugin throws, with a stable code (FST_ALIPAYPLUS_*) that callers can
// branch on and that survives message rewording. Built with @fastify/error, as official
// Fastify plugins do, so `instanceof` works and Fastify maps statusCode to the reply.
import createError from '@fastify/error'

export const InvalidOptionError = createError<[string, string]>(
  'FST_ALIPAYPLUS_INVALID_OPTION',
  'fastify-alipayplus: option "%s" %s',
  500,
)

export const UnknownOrderError = createError<[string]>(
  'FST_ALIPAYPLUS_UNKNOWN_ORDER',
  'No PaymentOrder with orderNo "%s"',
  404,
)

export const DuplicateOrderError = createError<[string]>(
  'FST_ALIPAYPLUS_DUPLICATE_ORDER',
  'A PaymentOrder with orderNo "%s" already exists',
  409,
)

export const InvalidOrderNoError = createError<[string]>(
  'FST_ALIPAYPLUS_INVALID_ORDER_NO',
  'Invalid orderNo: %s',
  400,
)

export const InvalidAmountError = createError<[string]>(
  'FST_ALIPAYPLUS_INVALID_AMOUNT',
  'Invalid amount: %s',
  400,
)

export const InvalidResultError = createError<[string]>(
  'FST_ALIPAYPLUS_INVALID_RESULT',
  'Invalid payment result: %s',
  400,
)

export const MigrationChecksumError = createError<[string]>(
  'FST_ALIPAYPLUS_MIGRATION_CHECKSUM',
  'Migration "%s" was changed after it was applied: its checksum no longer matches _prisma_migrations. Restore the original file; write a new migration for new changes.',
  500,
)

export const MigrationFailedError = createError<[string, string, string]>(
  'FST_ALIPAYPLUS_MIGRATION_FAILED',
  'Migration "%s" failed: %s. %s.',
  500,
)

export const MigrationUnresolvedError = createError<[string, string, string]>(
  'FST_ALIPAYPLUS_MIGRATION_UNRESOLVED',
  'Migration "%s" failed earlier and is recorded as failed in _prisma_migrations (its logs column says why); no migration runs until it is resolved. Undo or finish its changes by hand, then run `prisma migrate resolve --rolled-back "%s"` to have it applied again, or `prisma migrate resolve --applied "%s"` if you finished it by hand (without the Prisma CLI, for --rolled-back: UPDATE _prisma_migrations SET rolled_back_at = CURRENT_TIMESTAMP WHERE finished_at IS NULL AND rolled_back_at IS NULL).',
  500,
)

export const MigrationProviderError = createError<[string, string, string]>(
  'FST_ALIPAYPLUS_MIGRATION_PROVIDER',
  'The migrations in %s are for %s (migration_lock.toml) but the database is %s: use that provider\'s migrations folder',
  500,
)

export const AbortedError = createError<[string]>(
  'FST_ALIPAYPLUS_ABORTED',
  'awaitPaymentResult("%s") was aborted by its signal',
  499,
)

export const ClosedError = createError<[string]>(
  'FST_ALIPAYPLUS_CLOSED',
  'awaitPaymentResult("%s") stopped: the server is closing',
  503,
)

export const AmountMismatchError = createError<[string]>(
  'FST_ALIPAYPLUS_AMOUNT_MISMATCH',
  'Alipay+ reports a successful payment for order "%s" with an amount that differs from the order: the order stays init and the event is recorded; a human must look',
  409,
)

// Reasons of the AbortSignal an onPaymentResult handler receives in its context.
export const DeliveryTimeoutError = createError<[string, number]>(
  'FST_ALIPAYPLUS_DELIVERY_TIMEOUT',
  'onPaymentResult for order "%s" timed out after %d ms (delivery.timeoutMs): it will be retried',
  500,
)

export const DeliveryClaimLostError = createError<[string]>(
  'FST_ALIPAYPLUS_DELIVERY_CLAIM_LOST',
  'onPaymentResult for order "%s" lost its delivery claim (it could not be renewed in time): another instance may run it',
  500,
)

export const DeliveryClosedError = createError<[string]>(
  'FST_ALIPAYPLUS_DELIVERY_CLOSED',
  'onPaymentResult for order "%s" was interrupted: the server is closing; it will be delivered again',
  503,
)

export const InvalidAnswerError = createError<[string, string]>(
  'FST_ALIPAYPLUS_INVALID_ANSWER',
  'Alipay+ answered inquiryPayment for order "%s" with a result that cannot be recorded (%s): asking again would get the same answer, so the order stays init, flagged attention "invalid_answer"; a human must look',
  502,
)

/** A bad argument to the admin API (a view, a limit, a cursor, a missing note or operator). */
export const AdminInputError = createError<[string, string]>(
  'FST_ALIPAYPLUS_ADMIN_INPUT',
  'fastify-alipayplus admin: "%s" %s',
  400,
)

/** An admin POST that a page of another site could have sent: refused before anything runs. */
export const AdminForbiddenError = createError<[string]>(
  'FST_ALIPAYPLUS_ADMIN_FORBIDDEN',
  'fastify-alipayplus admin: refused, %s (a cross-site request?)',
  403,
)
