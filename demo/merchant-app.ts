// The demo merchant application's own part: what a merchant writes around the plugin, given to
// the tests' createMerchantApp as its setup. @fastify/sensible gives it the usual HTTP errors;
// the plugin gives it the notify route and awaitPaymentResult.
import sensible from '@fastify/sensible'
import type { FastifyInstance } from 'fastify'

interface OrderParams {
  Params: { orderNo: string }
}

export async function merchantRoutes(app: FastifyInstance): Promise<void> {
  await app.register(sensible)

  // Create an order (in real life: then call Alipay+ to start the payment).
  app.post<{ Body: { orderNo: string; amount: { currency: string; value: string } } }>(
    '/orders',
    {
      schema: {
        body: {
          type: 'object',
          required: ['orderNo', 'amount'],
          properties: { orderNo: { type: 'string' }, amount: { type: 'object' } },
        },
      },
    },
    async (request, reply) => reply.code(201).send(await app.alipayplus.store.createOrder(request.body)),
  )

  // The order as stored, with its audit trail.
  app.get<OrderParams>('/orders/:orderNo', async (request, reply) => {
    const order = await app.alipayplus.store.getOrder(request.params.orderNo)
    if (order === null) return reply.notFound(`no order ${request.params.orderNo}`)
    return { order, events: await app.alipayplus.store.listEvents(order.orderNo) }
  })

  // Waits for the final result: notifyPayment or inquiryPayment, whichever comes first.
  app.get<OrderParams & { Querystring: { timeoutMs?: number } }>(
    '/orders/:orderNo/result',
    { schema: { querystring: { type: 'object', properties: { timeoutMs: { type: 'integer', minimum: 1 } } } } },
    async (request, reply) => {
      const controller = new AbortController()
      // A client that hangs up before the answer stops the wait.
      reply.raw.on('close', () => {
        if (!reply.raw.writableEnded) controller.abort()
      })
      const { timeoutMs } = request.query
      return app.awaitPaymentResult(request.params.orderNo, {
        signal: controller.signal,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      })
    },
  )

  app.get('/stats', async () => app.alipayplus.stats())
}
