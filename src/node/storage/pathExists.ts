import { stat } from 'node:fs/promises'

/**
 * Whether anything is at `file` (a file, a folder, or what a link points to). Any failure to stat
 * counts as absent: callers use it to choose a name or refuse a destination, and a write to a path
 * that cannot be statted fails on its own with its own error.
 */
export async function pathExists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false
  )
}
