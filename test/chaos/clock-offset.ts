// Preload (node --import) that runs one process N ms ahead of (or behind) the machine's clock:
// Date.now() and new Date() are shifted by CHAOS_CLOCK_OFFSET_MS, as on a host whose NTP has
// drifted. Dates built from a given time, process.hrtime and performance.now are unchanged, and
// so is the database's own clock: what differs between instances is each one's idea of "now".
const offsetMs = Number(process.env.CHAOS_CLOCK_OFFSET_MS ?? 0)
if (!Number.isFinite(offsetMs)) throw new Error('CHAOS_CLOCK_OFFSET_MS must be a number of milliseconds')

const RealDate = Date
const realNow = Date.now.bind(Date)

class ShiftedDate extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(realNow() + offsetMs)
    else super(...(args as [number]))
  }

  static override now(): number {
    return realNow() + offsetMs
  }
}

globalThis.Date = ShiftedDate as DateConstructor
