// Parent side of a benchmark child process: forks a TypeScript server script through tsx (or a
// compiled JavaScript one under plain node), calls its handlers over IPC, and makes sure it is gone at the end (shutdown, then SIGKILL
// of that one pid if it does not exit in time).
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { RpcMessage } from './rpc-server.js'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

export class BenchChild {
  readonly #proc: ChildProcess
  readonly #pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>()
  readonly #exited: Promise<number | null>
  #next = 1

  private constructor(proc: ChildProcess, readonly label: string) {
    this.#proc = proc
    this.#exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)))
    proc.on('message', (message: RpcMessage) => {
      if (message.type !== 'reply') return
      const pending = this.#pending.get(message.id)
      if (!pending) return
      this.#pending.delete(message.id)
      if (message.ok) pending.resolve(message.value)
      else pending.reject(new Error(`${label}: ${message.error}`))
    })
    void this.#exited.then((code) => {
      for (const pending of this.#pending.values()) pending.reject(new Error(`${label} exited (code ${code})`))
      this.#pending.clear()
    })
  }

  /**
   * Forks `script` (a path relative to bench/) through tsx and resolves once it reports ready.
   * `options.execArgv` come after tsx's (e.g. another --import preload); `options.env` replaces
   * the inherited environment.
   */
  static start(script: string, label: string, options: { execArgv?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<BenchChild> {
    return BenchChild.#fork(fileURLToPath(new URL(`../${script}`, import.meta.url)), ['--import', 'tsx', ...(options.execArgv ?? [])], label, options.env)
  }

  /**
   * Forks a compiled JavaScript file (absolute path) under plain node, no loader, and resolves
   * once it reports ready. BENCH_CHILD_NODE_OPTIONS: extra node flags for it (e.g. a heap profile).
   */
  static startCompiled(path: string, label: string): Promise<BenchChild> {
    return BenchChild.#fork(path, process.env.BENCH_CHILD_NODE_OPTIONS?.split(' ').filter(Boolean) ?? [], label)
  }

  static async #fork(path: string, execArgv: string[], label: string, env?: NodeJS.ProcessEnv): Promise<BenchChild> {
    const proc = fork(path, [], {
      cwd: REPO_ROOT,
      env,
      // BENCH_CPU_PROF_DIR=<dir>: each child writes a V8 CPU profile there when it exits.
      execArgv: [...execArgv, ...(process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [])],
      // Structured clone over IPC: bigint timestamps cross as they are.
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const child = new BenchChild(proc, label)
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: RpcMessage) => {
        if (message.type !== 'ready') return
        proc.off('message', onMessage)
        resolve()
      }
      proc.on('message', onMessage)
      proc.once('exit', (code) => reject(new Error(`${label} exited before it was ready (code ${code})`)))
    })
    return child
  }

  get pid(): number | undefined {
    return this.#proc.pid
  }

  /** Resolves with the exit code (null when a signal ended it) once the process has exited. */
  get exited(): Promise<number | null> {
    return this.#exited
  }

  /** Sends `signal` to this child's pid (a fault injection: SIGKILL, SIGTERM). */
  signal(signal: NodeJS.Signals): void {
    this.#proc.kill(signal)
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    const id = this.#next++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#proc.send({ type: 'call', id, method, args } satisfies RpcMessage)
    })
  }

  /** Asks the child to close what it opened and exit; kills it if it has not within `ms`. */
  async stop(ms = 15_000): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return
    const timer = setTimeout(() => {
      console.error(`${this.label} did not exit within ${ms} ms: killing pid ${this.#proc.pid}`)
      this.#proc.kill('SIGKILL')
    }, ms)
    try {
      await this.call('shutdown').catch(() => {})
      await this.#exited
    } finally {
      clearTimeout(timer)
    }
  }
}
