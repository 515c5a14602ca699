// The error classes an application may catch: constructor arguments, `instanceof`, and the
// fields to branch on (code, statusCode; alipayResultCode for Alipay+ refusals).
import type { FastifyError } from 'fastify'
import { describe, expect, test } from 'tstyche'
import {
  AbortedError,
  AlipayPlusSetupError,
  AmountMismatchError,
  ClosedError,
  DuplicateOrderError,
  InquiryClientClosedError,
  InvalidAmountError,
  InvalidAnswerError,
  InvalidOptionError,
  InvalidOrderNoError,
  InvalidResultError,
  MigrationChecksumError,
  MigrationFailedError,
  UnknownOrderError,
} from '../../src/index.js'
import * as migrate from '../../src/migrate.js'
import * as protocol from '../../src/protocol/index.js'

describe('errors', () => {
  test('each takes the arguments its message needs', () => {
    expect(InvalidOptionError).type.toBeConstructableWith('gatewayUrl', 'must use https:')
    expect(InvalidOptionError).type.not.toBeConstructableWith('gatewayUrl')
    expect(MigrationFailedError).type.toBeConstructableWith('20261126000000_init', 'syntax error', 'It was rolled back')
    expect(InvalidAnswerError).type.toBeConstructableWith('order-1', 'a SUCCESS without paymentAmount')
    expect(InvalidAnswerError).type.not.toBeConstructableWith('order-1')
    for (const OneArgument of [
      UnknownOrderError,
      DuplicateOrderError,
      InvalidOrderNoError,
      InvalidAmountError,
      InvalidResultError,
      MigrationChecksumError,
      AbortedError,
      ClosedError,
      AmountMismatchError,
    ]) {
      expect(OneArgument).type.toBeConstructableWith('order-1')
      expect(OneArgument).type.not.toBeConstructableWith(1)
    }
    expect(InquiryClientClosedError).type.toBeConstructableWith()
    expect(AlipayPlusSetupError).type.toBeConstructableWith('INVALID_SIGNATURE', 'signature is invalid', 401)
    expect(AlipayPlusSetupError).type.toBeConstructableWith('INVALID_SIGNATURE', 'signature is invalid')
  })

  test('instances are Fastify errors with a code and a status code', () => {
    const error = new UnknownOrderError('order-1')
    expect(error).type.toBeAssignableTo<FastifyError>()
    expect(error.code).type.toBe<string>()
    expect(error.statusCode).type.toBe<number | undefined>()

    const caught: unknown = error
    if (caught instanceof UnknownOrderError) expect(caught.code).type.toBe<string>()
  })

  test('AlipayPlusSetupError carries the Alipay+ result code and HTTP status', () => {
    const error = new AlipayPlusSetupError('ACCESS_DENIED', 'denied', 403)
    expect(error.alipayResultCode).type.toBe<string>()
    expect(error.httpStatus).type.toBe<number | undefined>()
    expect(error).type.toBeAssignableTo<FastifyError>()
  })

  test('the subpaths re-export the same classes', () => {
    expect(migrate.MigrationChecksumError).type.toBe(MigrationChecksumError)
    expect(protocol.AlipayPlusSetupError).type.toBe(AlipayPlusSetupError)
  })
})
