// /_sim/...: the programmatic control API over HTTP, so a human can drive the simulator with
// curl. Errors carry their statusCode (400, 404, 409), which Fastify turns into the reply.
import type { FastifyPluginAsync } from 'fastify'
import { InvalidOptionError } from '../errors.js'
import type { Faults } from './faults.js'
import type { CompletePaymentInput, CreatePaymentInput, SimPayment } from './payments.js'
import type { SimulatorStats } from './simulator.js'
import { SimInvalidInputError, SimUnknownPaymentError } from './errors.js'

export interface SimulatorControl {
  createPayment(input: CreatePaymentInput): SimPayment
  completePayment(paymentRequestId: string, input: CompletePaymentInput & { notify?: boolean }): SimPayment
  getPayment(paymentRequestId: string): SimPayment | undefined
  faults(): Faults
  setFaults(faults: Partial<Faults>): Faults
  setPaymentFaults(paymentRequestId: string, faults: Partial<Faults>): SimPayment
  setNotifyUrl(url: string | undefined): void
  stats(): SimulatorStats
}

interface ById {
  Params: { paymentRequestId: string }
}

export function controlRoutes(control: SimulatorControl): FastifyPluginAsync {
  return async (scope) => {
    scope.post<{ Body: CreatePaymentInput }>('/payments', async (request, reply) => {
      return reply.code(201).send(control.createPayment(request.body))
    })

    scope.get<ById>('/payments/:paymentRequestId', async (request) => {
      const payment = control.getPayment(request.params.paymentRequestId)
      if (payment === undefined) throw new SimUnknownPaymentError(request.params.paymentRequestId)
      return payment
    })

    scope.post<ById & { Body: CompletePaymentInput & { notify?: boolean } }>('/payments/:paymentRequestId/complete', async (request) => {
      return control.completePayment(request.params.paymentRequestId, request.body ?? {})
    })

    scope.put<ById & { Body: Partial<Faults> }>('/payments/:paymentRequestId/faults', async (request) => {
      return control.setPaymentFaults(request.params.paymentRequestId, request.body)
    })

    scope.get('/faults', async () => control.faults())

    scope.put<{ Body: Partial<Faults> }>('/faults', async (request) => control.setFaults(request.body))

    scope.put<{ Body: { notifyUrl?: string | null } }>('/notify-url', async (request, reply) => {
      const url = request.body?.notifyUrl
      if (url !== undefined && url !== null && typeof url !== 'string') {
        throw new SimInvalidInputError('notifyUrl must be an absolute http(s) URL or null')
      }
      try {
        control.setNotifyUrl(url ?? undefined)
      } catch (error) {
        // The programmatic API reports an option error; over HTTP it is the caller's bad input.
        if (error instanceof InvalidOptionError) throw new SimInvalidInputError('notifyUrl must be an absolute http(s) URL')
        throw error
      }
      return reply.code(204).send()
    })

    scope.get('/stats', async () => control.stats())
  }
}
