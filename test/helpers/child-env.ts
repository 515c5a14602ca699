// The environment of a test's child process (a fixture app run through tsx): the test's own,
// with coverage off. tsx transpiles a source file differently from tap's loader (ts-node), and
// the V8 ranges of one file from both, merged by its URL, land on the wrong lines (a file's
// header comment counted as not run). Each child that lived to write its coverage lowered the
// figure, so it moved with where the SIGKILLs landed. The figure is what the test processes
// themselves run.
export function childEnv(): NodeJS.ProcessEnv {
  return { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0' }
}
