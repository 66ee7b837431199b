/** Line protocol of the reliability harnesses' child processes: one line a message on stdout, errors on stderr. */

/** stdout writes to a pipe are synchronous on Linux and macOS: a printed line was sent before the next statement ran. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`)
}

export function fail(error: unknown): never {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
}

/** Calls `onLines` with each batch of complete lines a child writes to `stream` (a partial last line waits for the rest). */
export function readLines(stream: NodeJS.ReadableStream, onLines: (lines: string[]) => void): void {
  let buffered = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    buffered += chunk
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    onLines(lines)
  })
}
