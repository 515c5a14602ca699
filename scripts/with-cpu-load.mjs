// Runs a command beside a CPU load: one busy-looping child process per core, for as long as the
// command runs, so that a test which passes only on a quiet machine fails where it is run this
// way (CI runs the server tier so). Exits with the command's code; a command still running after
// --timeout seconds is stopped (SIGTERM to its process group, SIGKILL 30 s later) and fails.
//
//   node scripts/with-cpu-load.mjs [--timeout=SECONDS] [--hogs=N] -- npm run -s test:server
import { fork, spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'

const HOG = '--hog'

if (process.argv[2] === HOG) {
  // Spin in 100 ms slices so that the parent's exit (the IPC channel closing) is noticed.
  if (!process.connected) process.exit(0)
  process.on('disconnect', () => process.exit(0))
  const spin = () => {
    const end = Date.now() + 100
    while (Date.now() < end);
    setImmediate(spin)
  }
  spin()
} else {
  const args = process.argv.slice(2)
  const split = args.indexOf('--')
  const options = Object.fromEntries(
    (split === -1 ? [] : args.slice(0, split)).map((arg) => arg.replace(/^--/, '').split('=')),
  )
  const command = split === -1 ? args : args.slice(split + 1)
  if (command.length === 0) {
    console.error('usage: node scripts/with-cpu-load.mjs [--timeout=SECONDS] [--hogs=N] -- command [args]')
    process.exit(2)
  }
  const hogCount = Number(options.hogs ?? availableParallelism())
  const timeoutMs = Number(options.timeout ?? 0) * 1000

  const hogs = Array.from({ length: hogCount }, () => fork(process.argv[1], [HOG], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] }))
  console.log(`with-cpu-load: ${hogCount} busy loops beside: ${command.join(' ')}`)

  // Its own process group, so that a stop reaches tap's test processes too.
  const child = spawn(command[0], command.slice(1), { stdio: 'inherit', detached: true, shell: process.platform === 'win32' })
  const signalGroup = (signal) => {
    try {
      process.kill(-child.pid, signal)
    } catch {
      // the group has already exited
    }
  }
  const stop = (signal) => {
    signalGroup(signal)
    setTimeout(() => signalGroup('SIGKILL'), 30_000).unref()
  }
  let timedOut = false
  const timer = timeoutMs > 0
    ? setTimeout(() => {
      timedOut = true
      console.error(`with-cpu-load: still running after ${timeoutMs / 1000} s: stopped`)
      stop('SIGTERM')
    }, timeoutMs)
    : undefined
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stop(signal))

  child.on('exit', (code, signal) => {
    clearTimeout(timer)
    for (const hog of hogs) hog.kill('SIGKILL')
    signalGroup('SIGKILL') // whatever the command left running
    process.exit(timedOut ? 124 : (code ?? (signal ? 1 : 0)))
  })
}
