/**
 * Child process of the import fuzz harness, in one of two modes:
 * - `fuzzChild <batch.json> folder <project>`: imports the batch's folder in one call, as a user
 *   would, printing `progress` after each case; then `result <json>` for each file, or
 *   `folder-threw <message>` when the import throws;
 * - `fuzzChild <batch.json> <first> <project>`: imports the files from index `first` on one at a
 *   time, each alone in a folder, printing `start <n>` before file n and `result <json>` after it.
 * The harness stops a child that goes `timeoutMs` without a line and, when the folder import does
 * not finish cleanly, reruns the batch a file at a time: a file that stalls or kills the process is
 * then the one started last, and costs that file only.
 */
import { link, mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { ProjectStore } from '../../../src/main/services/project/ProjectStore'
import { importFolder, importOneFile } from './fuzzWorker'

/** What the harness writes for one batch. */
export interface FuzzBatchFile {
  /** The folder holding exactly `files`. */
  dir: string
  files: string[]
  checkVoxels: boolean[]
  /** Where the one-file folders of file-at-a-time mode go. */
  singlesDir: string
}

function say(line: string): void {
  process.stdout.write(`${line}\n`)
}

async function oneAtATime(store: ProjectStore, batch: FuzzBatchFile, first: number): Promise<void> {
  for (let n = first; n < batch.files.length; n++) {
    const file = batch.files[n]
    if (file === undefined) break
    // A hard link: import sees a regular file alone in its folder, with no copy made.
    const dir = path.join(batch.singlesDir, String(n))
    await mkdir(dir, { recursive: true })
    await link(file, path.join(dir, path.basename(file))).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    })
    say(`start ${n}`)
    say(`result ${JSON.stringify(await importOneFile(store, dir, file, batch.checkVoxels[n] ?? false))}`)
  }
}

async function main(): Promise<void> {
  const [batchFile, mode, projectDir] = process.argv.slice(2)
  if (!batchFile || !mode || !projectDir) throw new Error('usage: fuzzChild <batch.json> folder|<first> <project dir>')
  const batch = JSON.parse(await readFile(batchFile, 'utf8')) as FuzzBatchFile
  const store = await ProjectStore.create(projectDir, { name: 'fuzz' })
  try {
    if (mode === 'folder') {
      say('start folder')
      try {
        const outcomes = await importFolder(store, batch.dir, batch.files, batch.checkVoxels, () => say('progress'))
        for (const outcome of outcomes) say(`result ${JSON.stringify(outcome)}`)
      } catch (error) {
        say(`folder-threw ${JSON.stringify(error instanceof Error ? `${error.name}: ${error.message}` : String(error))}`)
      }
    } else {
      await oneAtATime(store, batch, Number(mode))
    }
  } finally {
    await store.dispose()
  }
  say('done')
}

main().then(
  // Exit explicitly, as the CLI does: nothing the import leaves behind may keep the child alive.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  }
)
