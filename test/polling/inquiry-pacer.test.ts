// The per-second cap counts on the monotonic clock: a wall-clock step while the cap is full
// neither stalls every inquiry and cancel (step back) nor lets a call start early (step forward).
// The wall clock is stepped by replacing the global Date.now for the length of a test (fault
// injection; the pacer itself runs unchanged).
import { performance } from 'node:perf_hooks'
import t, { type Test } from 'tap'
import { InquiryPacer, RATE_WINDOW_MS } from '../../src/polling/inquiry-pacer.js'
import { FOREGROUND_LANE } from '../../src/polling/wait-queue.js'

const HOUR_MS = 3_600_000

/** Steps the process's wall clock by `offsetMs` until the test ends. */
function stepWallClock(t: Test, offsetMs: number): void {
  const realNow = Date.now
  Date.now = () => realNow() + offsetMs
  t.teardown(() => {
    Date.now = realNow
  })
}

/** A pacer of one call a second whose window is full: one call just ended. */
async function fullPacer(): Promise<{ pacer: InquiryPacer; endedAt: number }> {
  const pacer = new InquiryPacer(1)
  const end = await pacer.start(FOREGROUND_LANE)
  end()
  return { pacer, endedAt: performance.now() }
}

t.test('a wall-clock step back while the cap is full does not stall the next call', async (t) => {
  // On the wall clock the next call would wait for the hour of the step.
  t.setTimeout(30_000)
  const { pacer } = await fullPacer()
  stepWallClock(t, -HOUR_MS)
  const end = await pacer.start(FOREGROUND_LANE)
  end()
  t.pass('the next call started once the window had passed')
})

t.test('a wall-clock step forward while the cap is full does not open the window early', async (t) => {
  const { pacer, endedAt } = await fullPacer()
  stepWallClock(t, HOUR_MS)
  const end = await pacer.start(FOREGROUND_LANE)
  const waited = performance.now() - endedAt
  end()
  t.ok(waited >= RATE_WINDOW_MS - 1, `the next call waited for the window to pass (${Math.round(waited)} ms)`)
})
