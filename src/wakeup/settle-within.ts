// Waits for `promise` (whatever its outcome) at most `ms`: close() gives a healthy connection
// time to finish its work, and a stalled one no more than that.
export async function settleWithin(ms: number, promise: Promise<unknown> | undefined): Promise<void> {
  if (promise === undefined) return
  let timer: NodeJS.Timeout | undefined
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  await Promise.race([promise.catch(() => {}), elapsed])
  clearTimeout(timer)
}
