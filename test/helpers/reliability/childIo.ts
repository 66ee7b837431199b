/** Line protocol of the reliability harnesses' child processes: one line a message on stdout, errors on stderr. */

/** stdout writes to a pipe are synchronous on Linux and macOS: a printed line was sent before the next statement ran. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`)
}

export function fail(error: unknown): never {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
}
