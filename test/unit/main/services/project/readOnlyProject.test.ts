/**
 * A project on a folder that cannot be written opens read-only (view, predict elsewhere, export)
 * instead of failing with "EROFS unlink .voxloop.lock"; bad paths get clear errors, not a 500.
 */
import { execFileSync } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { importDataset } from '../../../../../src/main/services/project/importDataset'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { itUnless } from '../../../../helpers/skipWithReason'
import { createProjectWithCases, editOf, makeTempDir, removeDir, snapshotTree } from './projectFixtures'

/** A read-only bind mount of `source` on `target`; null when done, else why it could not be made. */
function bindReadOnly(source: string, target: string): string | null {
  if (process.platform !== 'linux') return `read-only bind mounts need Linux (this is ${process.platform})`
  try {
    execFileSync('mount', ['--bind', source, target], { stdio: 'pipe' })
    execFileSync('mount', ['-o', 'remount,ro,bind', target], { stdio: 'pipe' })
    return null
  } catch (error) {
    try {
      execFileSync('umount', [target], { stdio: 'pipe' })
    } catch {
      // Not mounted.
    }
    return `a read-only bind mount needs root or CAP_SYS_ADMIN: ${(error as { stderr?: Buffer }).stderr?.toString().trim() ?? (error as Error).message}`
  }
}

// Set up at load time: whether the mount worked decides, when tests are registered, what is skipped.
const base = await makeTempDir('readonly')
const writable = path.join(base, 'project')
const readOnlyDir = path.join(base, 'mounted')
{
  const store = await createProjectWithCases(writable, { cases: 2 })
  await store.applyLabelEdit('case-0', editOf([0, 1, 2], [2, 2, 2]))
  await store.saveLabel('case-0')
  // An unsaved edit stays in the journal (closing does not save): a read-only open must report it,
  // neither replay it nor lose it.
  await store.applyLabelEdit('case-1', editOf([3, 4], [1, 1]))
  await store.dispose()
  await mkdir(readOnlyDir)
}
const mountFailure = bindReadOnly(writable, readOnlyDir)

afterAll(async () => {
  if (mountFailure === null) execFileSync('umount', [readOnlyDir], { stdio: 'pipe' })
  await removeDir(base)
})

describe('a project on a read-only file system', () => {
  itUnless(mountFailure, 'opens read-only, shows its labels, refuses changes clearly and writes nothing', async () => {
    const before = await snapshotTree(writable)
    const { store, recovery } = await ProjectStore.open(readOnlyDir)
    try {
      expect(store.readOnly).toBe(true)
      expect(store.listCases().map((summary) => summary.id)).toEqual(['case-0', 'case-1'])
      const label = await store.loadLabel('case-0')
      expect([...label.data.subarray(0, 4)]).toEqual([2, 2, 2, 0])
      expect(recovery.problems.some((problem) => /not replayed because the project is open read-only/.test(problem.reason))).toBe(true)
      await expect(store.applyLabelEdit('case-0', editOf([5], [1]))).rejects.toMatchObject({ code: 'READ_ONLY', message: expect.stringMatching(/open read-only/) })
      await expect(store.saveLabel('case-0')).rejects.toMatchObject({ code: 'READ_ONLY' })
      await expect(store.setStatus('case-0', 'done')).rejects.toMatchObject({ code: 'READ_ONLY' })
      // Import (the CLI calls it on the store directly) refuses before making a staging folder.
      await expect(importDataset(store, base)).rejects.toMatchObject({ code: 'READ_ONLY' })
    } finally {
      await store.dispose()
    }
    expect(await snapshotTree(writable)).toEqual(before)
    // Opened writable again, the journal left behind is replayed: nothing was lost.
    const reopened = await ProjectStore.open(writable)
    try {
      expect(reopened.store.readOnly).toBe(false)
      expect(reopened.recovery.recovered.map((item) => item.caseId)).toEqual(['case-1'])
      expect([...(await reopened.store.loadLabel('case-1')).data.subarray(3, 5)]).toEqual([1, 1])
    } finally {
      await reopened.store.dispose()
    }
  })
})

describe('bad project paths', () => {
  it('names a file that is not a folder', async () => {
    await expect(ProjectStore.open('/etc/passwd')).rejects.toMatchObject({ code: 'NOT_A_PROJECT', message: expect.stringMatching(/is a file, not a project folder/) })
  })

  it('refuses a path with NUL as an invalid argument', async () => {
    await expect(ProjectStore.open(`${base}\0/x`)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/NUL/) })
  })

  it('says a missing folder does not exist', async () => {
    await expect(ProjectStore.open(path.join(base, 'nope'))).rejects.toMatchObject({ code: 'NOT_A_PROJECT', message: expect.stringMatching(/does not exist/) })
  })
})

