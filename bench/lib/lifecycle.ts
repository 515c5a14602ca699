// Runs one benchmark as a whole process: cleanups (servers, child processes, the throw-away
// database) run in reverse order whether the benchmark succeeds, throws, is interrupted or
// overruns its time limit, and the process then exits by itself.

type Cleanup = () => unknown

export interface BenchContext {
  /** Registers a cleanup; cleanups run last-registered first. */
  defer(cleanup: Cleanup): void
}

export function runBench(name: string, limitSeconds: number, main: (ctx: BenchContext) => Promise<void>): void {
  const cleanups: Cleanup[] = []
  let cleaning: Promise<void> | undefined
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      for (const fn of cleanups.reverse()) {
        const start = performance.now()
        try {
          await fn()
          const seconds = (performance.now() - start) / 1000
          if (seconds > 2) console.error(`[${name}] a cleanup step took ${seconds.toFixed(1)} s`)
        } catch (error) {
          console.error(`[${name}] cleanup failed:`, error)
        }
      }
    })())
  const finish = (code: number) => void cleanup().finally(() => process.exit(code))

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`[${name}] ${signal}: cleaning up`)
      finish(130)
    })
  }
  const watchdog = setTimeout(() => {
    console.error(`[${name}] exceeded its ${limitSeconds} s limit: stopping`)
    finish(2)
  }, limitSeconds * 1000)
  watchdog.unref()

  main({ defer: (fn) => cleanups.push(fn) }).then(
    () => finish(0),
    (error: unknown) => {
      console.error(`[${name}] failed:`, error)
      finish(1)
    },
  )
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
