// The one timer behind every waiter's window: entries expire in the order of their deadlines,
// never before them, and an entry taken out never expires, whatever the heap's shape.
import { performance } from 'node:perf_hooks'
import t from 'tap'
import { type Deadline, DeadlineTimer } from '../../src/polling/deadline-timer.js'

interface Entry extends Deadline {
  id: number
  expiredAt?: number
}

function entry(id: number, inMs: number): Entry {
  return { id, at: performance.now() + inMs, heapIndex: -1 }
}

t.test('entries expire in deadline order, none early, removed ones never', async (t) => {
  const expired: Entry[] = []
  let done!: () => void
  const allExpired = new Promise<void>((resolve) => (done = resolve))
  const timer = new DeadlineTimer<Entry>((e) => {
    e.expiredAt = performance.now()
    expired.push(e)
    if (timer.size === 0) done()
  })
  // Deadlines out of order, some equal, spread over 0-60 ms.
  const entries = Array.from({ length: 300 }, (_, i) => entry(i, (i * 37) % 61))
  for (const e of entries) timer.add(e)
  const removed = entries.filter((e) => e.id % 3 === 0)
  for (const e of removed) timer.remove(e)
  timer.remove(removed[0]!) // twice: a no-op
  await allExpired

  t.equal(expired.length, entries.length - removed.length, 'every entry left in expired once')
  t.same(new Set(expired.map((e) => e.id)).size, expired.length, 'none twice')
  t.notOk(expired.some((e) => e.id % 3 === 0), 'no removed entry expired')
  t.ok(expired.every((e, i) => i === 0 || expired[i - 1]!.at <= e.at), 'in deadline order')
  t.ok(expired.every((e) => e.expiredAt! >= e.at), 'none before its deadline')
  t.ok(expired.every((e) => e.heapIndex === -1), 'out of the heap once expired')
})

t.test('an entry added earlier than the armed one expires first', async (t) => {
  const order: number[] = []
  let done!: () => void
  const bothExpired = new Promise<void>((resolve) => (done = resolve))
  const timer = new DeadlineTimer<Entry>((e) => {
    order.push(e.id)
    if (order.length === 2) done()
  })
  timer.add(entry(1, 40))
  timer.add(entry(2, 5))
  await bothExpired
  t.same(order, [2, 1])
  t.equal(timer.size, 0)
})
