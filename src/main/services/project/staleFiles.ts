import { readdir, rm } from 'node:fs/promises'
import path from 'node:path'

/** Temporary files of writeFileAtomic: `.<name>.<pid>.<hex>.tmp`. */
const ATOMIC_TEMPORARY = /^\..+\.\d+\.[0-9a-f]+\.tmp$/

/**
 * Removes temporaries that an interrupted atomic write left behind. Safe only while holding the
 * project lock: no other writer can own them.
 */
export async function removeStaleTemporaries(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[])
    for (const name of names) if (ATOMIC_TEMPORARY.test(name)) await rm(path.join(dir, name), { force: true })
  }
}
