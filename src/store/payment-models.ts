// Finds the plugin's two models on the application's PrismaClient: `paymentOrder` and
// `paymentEvent` by default, or the delegate names the `models` option gives (for an app
// whose schema already has a PaymentOrder model of its own). Checked once at register, so a
// wrong client or name fails at start-up with a message that lists what the client has.
import { InvalidOptionError } from '../errors.js'
import type { PaymentEventDelegate, PaymentModels, PaymentOrderDelegate } from './prisma-types.js'

export interface ModelNames {
  /** Delegate name of the order model on the client, e.g. 'alipayOrder'. Default 'paymentOrder'. */
  order?: string
  /** Delegate name of the event model on the client, e.g. 'alipayEvent'. Default 'paymentEvent'. */
  event?: string
}

export const DEFAULT_MODEL_NAMES = { order: 'paymentOrder', event: 'paymentEvent' } as const

const DELEGATE_METHODS = ['findFirst', 'findMany', 'create', 'updateMany'] as const

// The fields the plugin reads and writes. A same-named model of the application's own (a
// PaymentOrder of its shop, say) lacks them, and is refused rather than written to.
const REQUIRED_FIELDS = {
  order: ['orderNo', 'status', 'amount', 'currency', 'paymentId', 'resultCode', 'resultMessage', 'resultSource',
    'paymentTime', 'finalizedAt', 'finalEventId', 'leaseOwner', 'leaseUntil', 'attention', 'cancelState', 'cancelSentAt',
    'nextCheckAt', 'notFoundCount', 'createdAt', 'updatedAt'],
  event: ['id', 'orderNo', 'source', 'resultStatus', 'resultCode', 'reason', 'payload', 'digest', 'deliveries', 'createdAt'],
} as const

// Read and written only with onPaymentResult: checked then, so that a schema from before them
// keeps working without it.
const DELIVERY_FIELDS = ['deliveredAt', 'deliveryAttempts', 'deliveryError', 'deliveryOwner', 'deliveryUntil', 'deliveryDueAt', 'deliveryGaveUpAt',
  'deliveryRequestedBy'] as const

function delegateNames(client: object): string[] {
  // Prisma clients expose each model as a camelCase property holding its delegate (and a
  // PascalCase alias of it); $-prefixed ones are the client's own methods.
  const names = new Set<string>()
  for (let proto: object | null = client; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) if (/^[a-z]/.test(key)) names.add(key)
  }
  return [...names].filter((key) => isDelegate((client as Record<string, unknown>)[key])).sort()
}

function isDelegate(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  return DELEGATE_METHODS.every((method) => typeof (value as Record<string, unknown>)[method] === 'function')
}

function missingFields(delegate: unknown, model: 'order' | 'event', delivery: boolean): string[] {
  // Prisma clients list a model's scalar fields on `delegate.fields`.
  const fields = (delegate as { fields?: unknown }).fields
  if (typeof fields !== 'object' || fields === null) return []
  const required: readonly string[] = model === 'order' && delivery ? [...REQUIRED_FIELDS.order, ...DELIVERY_FIELDS] : REQUIRED_FIELDS[model]
  return required.filter((field) => !(field in fields))
}

function pick(client: object, option: string, name: unknown, model: 'order' | 'event', delivery = false): unknown {
  if (typeof name !== 'string' || name === '') throw new InvalidOptionError(option, 'must be a non-empty string')
  const delegate = (client as Record<string, unknown>)[name]
  if (!isDelegate(delegate)) {
    const found = delegateNames(client)
    const what = option === 'prisma' ? `has no model "${name}"` : `is "${name}", which is not a model of this PrismaClient`
    throw new InvalidOptionError(
      option,
      `${what} (the client's models: ${found.length ? found.join(', ') : 'none found'}). Add the plugin's two models to ` +
        'your schema (see prisma/schema.prisma) and run prisma generate, or name yours with the `models` option',
    )
  }
  const missing = missingFields(delegate, model, delivery)
  if (missing.length > 0 && missing.every((field) => (DELIVERY_FIELDS as readonly string[]).includes(field))) {
    throw new InvalidOptionError(
      option,
      `names the model "${name}", which lacks the fields onPaymentResult needs: ${missing.join(', ')}. Add them ` +
        '(see prisma/schema.prisma), migrate, and run prisma generate',
    )
  }
  if (missing.length > 0) {
    throw new InvalidOptionError(
      option,
      `names the model "${name}", which lacks the plugin's fields ${missing.join(', ')}: if it is a model of your own, ` +
        'add the plugin\'s models under other names and name them with the `models` option',
    )
  }
  return delegate
}

/** `delivery`: the delivery fields are required too (onPaymentResult is set). */
export function resolvePaymentModels(
  prisma: unknown,
  names: ModelNames | undefined,
  { delivery = false }: { delivery?: boolean } = {},
): PaymentModels {
  if (typeof prisma !== 'object' || prisma === null) throw new InvalidOptionError('prisma', 'is required: pass your PrismaClient')
  if (names !== undefined && (typeof names !== 'object' || names === null)) {
    throw new InvalidOptionError('models', 'must be an object { order, event }')
  }
  const order = names?.order ?? DEFAULT_MODEL_NAMES.order
  const event = names?.event ?? DEFAULT_MODEL_NAMES.event
  const option = (key: 'order' | 'event') => (names?.[key] === undefined ? 'prisma' : `models.${key}`)
  return {
    orders: pick(prisma, option('order'), order, 'order', delivery) as PaymentOrderDelegate,
    events: pick(prisma, option('event'), event, 'event') as PaymentEventDelegate,
  }
}
