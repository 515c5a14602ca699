// Collects the failed tests of a TAP stream, so that a run whose output is read from the end (a
// CI log, kept as its last lines) still says which test failed and why, after the coverage
// table. Each failure is its path of subtest names and the first lines of its diagnostics.
const DIAGNOSTIC_LINES = 24

export class TapFailures {
  #names = []
  #failures = []
  #open = null
  #partial = ''

  /** Feeds a chunk of the stream, as it arrives. */
  write(chunk) {
    const lines = (this.#partial + chunk).split('\n')
    this.#partial = lines.pop()
    for (const line of lines) this.#line(line)
  }

  /** The failures, each with its diagnostics, ready to print; '' when none failed. */
  report() {
    if (this.#partial) this.#line(this.#partial)
    this.#partial = ''
    if (this.#failures.length === 0) return ''
    const blocks = this.#failures.map(({ path, diagnostics }) => [`not ok: ${path.join(' > ')}`, ...diagnostics].join('\n'))
    return `\n# ${this.#failures.length} failed:\n${blocks.join('\n')}\n`
  }

  #line(line) {
    const indent = line.length - line.trimStart().length
    const level = Math.floor(indent / 4)
    const text = line.trim()
    if (this.#open !== null) {
      // Deeper lines belong to the failure's diagnostics, kept up to a limit, never parsed.
      if (indent > this.#open.indent) {
        if (this.#open.diagnostics.length < DIAGNOSTIC_LINES) this.#open.diagnostics.push(line)
        return
      }
      this.#open = null
    }
    const subtest = /^# Subtest: (.*)$/.exec(text)
    if (subtest) {
      this.#names.length = level
      this.#names[level] = subtest[1]
      return
    }
    const failed = /^not ok \d+ - (.*?)(?: # .*)?$/.exec(text)
    if (!failed) return
    // A failed file or group is reported through the failures inside it, unless it has none.
    const path = [...this.#names.slice(0, level), failed[1]]
    const inner = this.#failures.some((failure) => failure.path.length > path.length && startsWith(failure.path, path))
    if (inner) return
    const failure = { path, indent, diagnostics: [] }
    this.#failures.push(failure)
    this.#open = failure
  }
}

function startsWith(path, prefix) {
  return prefix.every((name, index) => path[index] === name)
}
