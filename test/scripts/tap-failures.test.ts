// The failure summary that scripts/test-tier.mjs prints after the coverage table: each failed
// test by its path of subtest names with its diagnostics, the groups around it not repeated.
import t from 'tap'
// @ts-expect-error: a plain .mjs script, without declarations
import { TapFailures } from '../../scripts/tap-failures.mjs'

const STREAM = `TAP version 14
# Subtest: test/a.test.ts
    # Subtest: pglite
        # Subtest: a lease holds
            ok 1 - the first inquiry
            not ok 2 - every inquiry came from the polling instance
              ---
              found: 4
              wanted: 3
              ...
            1..2
        not ok 1 - a lease holds # time=12ms
        1..1
    not ok 1 - pglite # time=20ms
    # Subtest: sqlite
        ok 1 - a lease holds # time=9ms
    ok 2 - sqlite
not ok 1 - test/a.test.ts # time=30ms
# Subtest: test/b.test.ts
    1..0 # no tests found
not ok 2 - test/b.test.ts # time=5ms
  ---
  exitCode: 1
  ...
# Subtest: test/c.test.ts
    ok 1 - fine
ok 3 - test/c.test.ts
`

/** The stream fed in chunks that split lines, as a pipe delivers it. */
function reportOf(stream: string, chunkSize: number): string {
  const failures = new TapFailures()
  for (let at = 0; at < stream.length; at += chunkSize) failures.write(stream.slice(at, at + chunkSize))
  return failures.report()
}

t.test('each failed assertion by its path, with its diagnostics; a crashed file by its name', async (t) => {
  const report = reportOf(STREAM, 7)
  const headlines = report.split('\n').filter((line) => line.startsWith('not ok:') || line.startsWith('#'))
  t.same(headlines, [
    '# 2 failed:',
    'not ok: test/a.test.ts > pglite > a lease holds > every inquiry came from the polling instance',
    'not ok: test/b.test.ts',
  ])
  t.match(report, /found: 4\n\s+wanted: 3/, 'the assertion diagnostics follow it')
  t.match(report, /exitCode: 1/, "the crashed file's diagnostics follow it")
  t.notMatch(report, /sqlite|c\.test/, 'nothing that passed')
})

t.test('a stream without a failure reports nothing', async (t) => {
  t.equal(reportOf('TAP version 14\n# Subtest: x\n    ok 1 - fine\nok 1 - x\n', 5), '')
})
