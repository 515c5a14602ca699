// The resolver machinery on its own: the edit distance behind "did you mean", and one group's laws.
import t from 'tap'
import { InvalidOptionError } from '../../src/errors.js'
import { closest, durationMs, editDistance, type Group, optional, resolveGroup } from '../../src/option-table.js'

t.test('edit distance', async (t) => {
  t.equal(editDistance('', ''), 0)
  t.equal(editDistance('polling', 'polling'), 0)
  t.equal(editDistance('pollling', 'polling'), 1, 'one letter too many')
  t.equal(editDistance('chanel', 'channel'), 1, 'one letter missing')
  t.equal(editDistance('timeoutMs', 'timeoutMx'), 1, 'one letter changed')
  t.equal(editDistance('kitten', 'sitting'), 3)
  t.equal(editDistance('', 'abc'), 3)
})

t.test('closest', async (t) => {
  const known = ['intervalMs', 'minAgeMs', 'maxAgeMs', 'batchSize']
  t.equal(closest('intervalMS', known), 'intervalMs', 'case is ignored')
  t.equal(closest('batchsize', known), 'batchSize')
  t.equal(closest('maxAge', known), 'maxAgeMs', 'the unit left off')
  t.equal(closest('somethingElse', known), undefined, 'nothing near: no guess')
})

t.test('a group', async (t) => {
  const group: Group<{ aMs: number; bMs: number }> = {
    rules: { aMs: optional(1_000, durationMs), bMs: { fallback: (_path, earlier) => (earlier.aMs as number) * 2, read: durationMs } },
    renamed: { a: 'aMs' },
    ignored: ['prefix'],
    check: (resolved, path) => {
      if (resolved.bMs < resolved.aMs) throw new InvalidOptionError(`${path}.bMs`, `must be at least ${path}.aMs`)
    },
  }
  t.same(resolveGroup(undefined, 'g', group), { aMs: 1_000, bMs: 2_000 }, 'absent: every default')
  t.same(resolveGroup({ aMs: undefined, bMs: undefined }, 'g', group), { aMs: 1_000, bMs: 2_000 }, 'undefined: every default')
  t.same(resolveGroup({ aMs: 50, prefix: '/x' }, 'g', group), { aMs: 50, bMs: 100 }, 'a default following an earlier option; ignored keys let through')
  t.throws(() => resolveGroup({ aMs: 0 }, 'g', group), { code: 'FST_ALIPAYPLUS_INVALID_OPTION', message: /option "g\.aMs" must be a positive integer, got 0/ })
  t.throws(() => resolveGroup({ aMs: 'secret-ish' }, 'g', group), { message: /option "g\.aMs" must be a positive integer, got a string$/ }, 'a string is shown by its type only')
  t.throws(() => resolveGroup({ aMs: 10, bMs: 5 }, 'g', group), { message: /option "g\.bMs" must be at least g\.aMs/ }, 'the check runs')
  t.throws(() => resolveGroup({ a: 10 }, 'g', group), { message: /option "g\.a" was renamed to "g\.aMs"/ })
  t.throws(() => resolveGroup({ bms: 10 }, 'g', group), { message: /option "g\.bms" is unknown: did you mean "g\.bMs"\?/ })
  t.throws(() => resolveGroup({ toString: 1 }, 'g', group), { message: /option "g\.toString" is unknown/ }, 'an Object.prototype name is no option')
  t.throws(() => resolveGroup({ ['x'.repeat(41)]: 1 }, 'g', group), { message: /option "g\.<a name of 41 characters>" is unknown/ }, 'a long name is not shown')
  t.throws(() => resolveGroup([], 'g', group), { message: /option "g" must be an object, got an array/ })
  t.throws(() => resolveGroup('x', '', group), { message: /option "options" must be an object, got a string/ }, 'the top level is "options"')
})
