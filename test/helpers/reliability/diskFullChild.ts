/**
 * Child process of the disk-full harness: opens the project, applies a seeded stream of edits to
 * case `alpha` one at a time and prints `ack <n>` when edit n is acknowledged. A DISK_FULL refusal
 * (or any refusal) is answered as the renderer does: the stroke is kept and resent until it is
 * accepted (`full <n> <code> <message>` is printed once per refusal episode). Every 40 edits it saves, as the idle save would. It never stops by itself before the stream ends: the
 * harness SIGKILLs it.
 */
import { ProjectStore } from '../../../src/main/services/project/ProjectStore'
import { VoxloopError } from '../../../src/shared/errors'
import { DISK_FULL_CASE, DISK_FULL_MAX_EDITS, diskFullEditStream } from './diskFullStream'
import { fail, say } from './childIo'


async function main(): Promise<void> {
  const [dir, seedText, firstText] = process.argv.slice(2)
  if (!dir || !seedText || !firstText) fail('usage: diskFullChild <project dir> <seed> <first edit>')
  const { store } = await ProjectStore.open(dir)
  say('ready')
  const edits = diskFullEditStream(Number(seedText))
  for (let n = 0; n < Number(firstText); n++) edits()
  for (let n = Number(firstText); n < DISK_FULL_MAX_EDITS; n++) {
    const edit = edits()
    let refused = false
    for (;;) {
      try {
        await store.applyLabelEdit(DISK_FULL_CASE, edit)
        break
      } catch (error) {
        // Like the renderer, any refusal is retried with the same stroke; the code is reported.
        const code = error instanceof VoxloopError ? error.code : 'UNCODED'
        if (!refused) say(`full ${n} ${code} ${error instanceof Error ? error.message : String(error)}`)
        refused = true
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    }
    say(`ack ${n}`)
    // Save now and then, as the app's idle save does, so the journal does not fill the disk by itself.
    // A save refused for a full disk is simply tried again later; the journal keeps the edits.
    if (n % 40 === 39) {
      await store.saveLabel(DISK_FULL_CASE).catch((error: unknown) => {
        if (!(error instanceof VoxloopError) || error.code !== 'DISK_FULL') fail(error)
      })
    }
  }
  await store.dispose()
  say('done')
}

main().catch(fail)
