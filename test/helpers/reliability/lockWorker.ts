/**
 * Worker of the lock race: waits on stdin for `go <round> <file>`, tries to take the project lock,
 * answers `got <round>` or `no <round> <reason>`, and on `release <round>` lets it go (`released
 * <round>`). Long-lived, so that a round costs a lock attempt, not a process start.
 */
import { createInterface } from 'node:readline'
import { acquireProjectLock, type ProjectLock } from '../../../src/main/services/project/projectLock'

let held: ProjectLock | null = null
const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  const [verb, round, file] = line.split(' ')
  if (verb === 'go' && file) {
    acquireProjectLock(file, 'race').then(
      (lock) => {
        held = lock
        process.stdout.write(`got ${round}\n`)
      },
      (error: unknown) => process.stdout.write(`no ${round} ${(error as Error).message.replace(/\n/g, ' ')}\n`)
    )
  } else if (verb === 'release') {
    const lock = held
    held = null
    void (lock ? lock.release() : Promise.resolve()).then(() => process.stdout.write(`released ${round}\n`))
  } else if (verb === 'exit') {
    process.exit(0)
  }
})
