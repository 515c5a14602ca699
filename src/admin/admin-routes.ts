// fastify-alipayplus/admin: JSON routes over fastify.alipayplus.admin and the ops page, mounted
// where the host wants them:
//   app.register(alipayPlusAdmin, { prefix: '/alipayplus/admin', readOnly: false })
// Authentication stays with the host (an onRequest hook, @fastify/basic-auth, ...). What this
// plugin guards itself against is a cross-site request riding the operator's session: every
// POST must carry a JSON body and the x-alipayplus-admin header, which a form or a simple
// cross-site fetch cannot send without a CORS preflight the host never grants, and a browser's
// Origin / Sec-Fetch-Site, when present, must say same origin.
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { AdminForbiddenError, AdminInputError, InvalidOptionError } from '../errors.js'
import { boolean, callback, FASTIFY_REGISTER_KEYS, type Group, optional, resolveGroup } from '../option-table.js'
import type { FinalStatus } from '../store/prisma-types.js'
import { ORDER_VIEWS, type OrderView } from './order-views.js'
import { OPS_CSS, OPS_JS, opsPageHtml } from './ops-page.js'

export interface AlipayPlusAdminOptions {
  /** Only the GET routes and a page without buttons. Default false. */
  readOnly?: boolean
  /**
   * Who is acting, for the log and the audit: from the host's authentication. Default: the
   * user name of a Basic Authorization header, else 'anonymous'.
   */
  operator?: (request: FastifyRequest) => string | undefined
}

const ACTIONS = ['retry-delivery', 'redeliver', 'reinquire', 'resolve'] as const
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

function basicAuthUser(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (typeof header !== 'string' || !/^basic /i.test(header)) return undefined
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  // The user name only: the password never leaves this function.
  return colon > 0 ? decoded.slice(0, colon) : undefined
}

/** Refuses a POST that a page of another origin could have sent. */
function assertSameSite(request: FastifyRequest): void {
  if (request.headers['x-alipayplus-admin'] !== '1') throw new AdminForbiddenError('the x-alipayplus-admin: 1 header is missing')
  if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) throw new AdminForbiddenError('the body must be application/json')
  const site = request.headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new AdminForbiddenError(`a ${site} request`)
  const origin = request.headers.origin
  if (origin !== undefined && origin !== `${request.protocol}://${request.host}`) throw new AdminForbiddenError(`origin ${origin} is not this server's`)
}

function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text)) throw new AdminInputError('limit', 'must be a whole number')
  return Number(text)
}

export const ADMIN_OPTIONS: Group<Required<Pick<AlipayPlusAdminOptions, 'readOnly'>> & Pick<AlipayPlusAdminOptions, 'operator'>> = {
  rules: {
    readOnly: optional(false, boolean),
    operator: callback<(request: FastifyRequest) => string | undefined>('(request) => string'),
  },
  // Fastify hands its own register() options (prefix above all) to the plugin with ours.
  ignored: FASTIFY_REGISTER_KEYS,
}

const adminRoutes: FastifyPluginAsync<AlipayPlusAdminOptions> = async (fastify: FastifyInstance, rawOptions) => {
  const options = resolveGroup(rawOptions, '', ADMIN_OPTIONS)
  if (!fastify.hasDecorator('alipayplus')) {
    throw new InvalidOptionError('fastify-alipayplus/admin', 'needs the fastify-alipayplus plugin registered first, on this instance or a parent')
  }
  const admin = fastify.alipayplus.admin
  const { readOnly } = options
  const operatorOf = (request: FastifyRequest) => options.operator?.(request) ?? basicAuthUser(request) ?? 'anonymous'
  const base = fastify.prefix

  const page = (type: string, content: string) => async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.header('content-security-policy', CSP).header('cache-control', 'no-store').type(type).send(content)
  fastify.get('/', page('text/html; charset=utf-8', opsPageHtml(base, readOnly)))
  fastify.get('/ops.js', page('text/javascript; charset=utf-8', OPS_JS))
  fastify.get('/ops.css', page('text/css; charset=utf-8', OPS_CSS))

  fastify.get('/api/views', async () => admin.countOrders())
  fastify.get<{ Querystring: { view?: string; limit?: string; after?: string } }>('/api/orders', async (request) => {
    const { view = 'recent', limit, after } = request.query
    return admin.listOrders({ view: view as OrderView, limit: parseLimit(limit), ...(after ? { after } : {}) })
  })
  fastify.get<{ Params: { orderNo: string } }>('/api/orders/:orderNo', async (request) => admin.getOrder(request.params.orderNo))

  if (readOnly) return
  fastify.post<{ Params: { orderNo: string; action: (typeof ACTIONS)[number] }; Body: { status?: FinalStatus; note?: string } | null }>(
    '/api/orders/:orderNo/:action',
    async (request, reply) => {
      assertSameSite(request)
      const { orderNo, action } = request.params
      const by = operatorOf(request)
      switch (action) {
        case 'retry-delivery':
          return admin.retryDelivery(orderNo, { by })
        case 'redeliver':
          return admin.redeliver(orderNo, { by })
        case 'reinquire':
          return admin.reinquire(orderNo, { by })
        case 'resolve':
          return admin.resolve(orderNo, { status: request.body?.status as FinalStatus, note: request.body?.note as string, by })
        default:
          return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no action "${String(action)}": one of ${ACTIONS.join(', ')}` })
      }
    },
  )
  fastify.post<{ Body: { since?: string; onlyExhausted?: boolean } | null }>('/api/recover-deliveries', async (request) => {
    assertSameSite(request)
    const since = new Date(request.body?.since ?? Number.NaN)
    const recovered = await admin.recoverDeliveries({ since, onlyExhausted: request.body?.onlyExhausted === true, by: operatorOf(request) })
    return { recovered }
  })
}

export { ORDER_VIEWS }
export default adminRoutes
