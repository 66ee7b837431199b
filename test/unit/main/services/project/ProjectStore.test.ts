import { appendFile, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { readLabelNifti } from '../../../../../src/node/formats/nifti'
import {
  TEST_LABELS,
  createProjectWithCases,
  editOf,
  makeTempDir,
  removeDir,
  syntheticImage
} from './projectFixtures'

let base: string
let dir: string
const open: ProjectStore[] = []

async function reopen(): Promise<Awaited<ReturnType<typeof ProjectStore.open>>> {
  const opened = await ProjectStore.open(dir)
  open.push(opened.store)
  return opened
}

async function created(options: Parameters<typeof createProjectWithCases>[1] = {}): Promise<ProjectStore> {
  const store = await createProjectWithCases(dir, options)
  open.push(store)
  return store
}

async function journalFiles(): Promise<string[]> {
  return (await readdir(path.join(dir, 'journal'))).sort()
}

beforeEach(async () => {
  base = await makeTempDir('store')
  dir = path.join(base, 'project')
})

afterEach(async () => {
  for (const store of open.splice(0)) await store.dispose()
  await removeDir(base)
})

describe('creating and opening', () => {
  it('lays out the folder and lists cases with label statistics', async () => {
    const store = await created({ cases: 2, spacing: [0.5, 0.5, 2] })
    expect((await readdir(dir)).sort()).toEqual(
      ['.voxloop.lock', 'audit.jsonl', 'cases.json', 'images', 'journal', 'labels', 'models', 'predictions', 'voxloop.json'].sort()
    )
    expect(store.listCases().map((c) => [c.id, c.status, c.hasLabel])).toEqual([
      ['case-0', 'unlabeled', false],
      ['case-1', 'unlabeled', false]
    ])
    // Not from DICOM: no identifiers to show; an unknown case is an error, not null.
    expect(store.getDicomSource('case-0')).toBeNull()
    expect(() => store.getDicomSource('no-such-case')).toThrow(/no-such-case/)
    await store.applyLabelEdit('case-0', editOf([0, 1, 2, 3], [1, 1, 1, 2]))
    const summary = store.getCase('case-0')
    expect(summary.hasUnsavedEdits).toBe(true)
    expect(summary.labelStats).toEqual([
      { labelId: 1, voxels: 3, volumeMl: 0.0015 },
      { labelId: 2, voxels: 1, volumeMl: 0.0005 }
    ])
  })

  it('refuses a non-empty folder and an existing project', async () => {
    const store = await created()
    await store.dispose()
    await expect(ProjectStore.create(dir, { name: 'Again' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' })
  })

  it('reports a folder without voxloop.json, a corrupt one and one from a newer version', async () => {
    await expect(ProjectStore.open(base)).rejects.toMatchObject({ code: 'NOT_A_PROJECT' })
    await expect(ProjectStore.open(path.join(base, 'missing'))).rejects.toMatchObject({ code: 'NOT_A_PROJECT' })
    const store = await created()
    await store.dispose()
    const manifest = JSON.parse(await readFile(path.join(dir, 'voxloop.json'), 'utf8')) as Record<string, unknown>
    await writeFile(path.join(dir, 'voxloop.json'), '{"name": ')
    await expect(ProjectStore.open(dir)).rejects.toMatchObject({ code: 'PROJECT_CORRUPT' })
    await writeFile(path.join(dir, 'voxloop.json'), JSON.stringify({ ...manifest, formatVersion: 99 }))
    await expect(ProjectStore.open(dir)).rejects.toMatchObject({ code: 'PROJECT_CORRUPT', message: expect.stringMatching(/version 99/) })
  })

  it('lets one store at a time hold the folder', async () => {
    const store = await created()
    await expect(ProjectStore.open(dir)).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await store.dispose()
    const { store: again } = await reopen()
    expect(again.listCases()).toHaveLength(2)
  })

  it('refuses to open a project whose images folder is a symlink leading out', async () => {
    const store = await created()
    await store.dispose()
    const { rename: move } = await import('node:fs/promises')
    await move(path.join(dir, 'images'), path.join(base, 'images-elsewhere'))
    await symlink(path.join(base, 'images-elsewhere'), path.join(dir, 'images'))
    await expect(ProjectStore.open(dir)).rejects.toMatchObject({ code: 'PATH_OUTSIDE_PROJECT' })
    // The failed open released the lock.
    await rm(path.join(dir, 'images'))
    await move(path.join(base, 'images-elsewhere'), path.join(dir, 'images'))
    const { store: again } = await reopen()
    expect(again.listCases()).toHaveLength(2)
  })

  it('takes over a lock left by a process that died', async () => {
    const store = await created()
    await store.dispose()
    await writeFile(path.join(dir, '.voxloop.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname() }))
    const { store: again } = await reopen()
    expect(again.listCases()).toHaveLength(2)
  })
})

describe('label edits, saves and the journal', () => {
  it('serves the current label: zeros on the image grid, then saved file plus unsaved edits', async () => {
    const store = await created()
    const empty = await store.loadLabel('case-0')
    expect(empty.data).toBeInstanceOf(Uint8Array)
    expect(empty.data.length).toBe(8 * 6 * 5)
    expect(empty.header.dims).toEqual([8, 6, 5])
    expect(empty.data.every((v) => v === 0)).toBe(true)

    const result = await store.applyLabelEdit('case-0', editOf([5, 6, 6], [1, 2, 3]))
    expect(result).toEqual({ caseId: 'case-0', voxelsChanged: 2 })
    const current = await store.loadLabel('case-0')
    expect([current.data[5], current.data[6]]).toEqual([1, 3])
    expect(await journalFiles()).toEqual(['case-0.000001.vxj'])

    const saved = await store.saveLabel('case-0')
    expect(saved).toMatchObject({ hasLabel: true, hasUnsavedEdits: false })
    expect(saved.lastEditedAt).not.toBeNull()
    expect(await journalFiles()).toEqual([])
    const onDisk = await readLabelNifti(path.join(dir, 'labels', 'case-0.nii.gz'))
    expect(onDisk.data[5]).toBe(1)
    expect(onDisk.data[6]).toBe(3)
    expect(onDisk.header.rasFromIjk).toEqual((await store.loadImageHeader('case-0')).rasFromIjk)

    const audit = await store.readAudit()
    expect(audit.at(-1)).toMatchObject({
      type: 'label-save',
      caseId: 'case-0',
      edits: 1,
      voxelsChanged: 2,
      changes: [
        { labelId: 0, gained: 0, lost: 2 },
        { labelId: 1, gained: 1, lost: 0 },
        { labelId: 3, gained: 1, lost: 0 }
      ]
    })
  })

  it('refuses malformed edits, unknown labels, unknown cases and hostile ids', async () => {
    const store = await created()
    await expect(store.applyLabelEdit('case-0', editOf([8 * 6 * 5], [1]))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(store.applyLabelEdit('case-0', editOf([1], [9]))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(
      store.applyLabelEdit('case-0', { indices: Uint32Array.from([1, 2]), values: Uint8Array.from([1]) })
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(store.applyLabelEdit('nope', editOf([1], [1]))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(store.applyLabelEdit('../case-0', editOf([1], [1]))).rejects.toMatchObject({ code: 'PATH_OUTSIDE_PROJECT' })
    await expect(store.loadLabel('/etc/passwd')).rejects.toMatchObject({ code: 'PATH_OUTSIDE_PROJECT' })
  })

  it('keeps edits made while a save is running, in order', async () => {
    const store = await created({ dims: [20, 20, 20] })
    const edits: Promise<unknown>[] = []
    const saves: Promise<unknown>[] = []
    for (let n = 0; n < 200; n++) {
      edits.push(store.applyLabelEdit('case-0', editOf([n, n + 1], [(n % 3) + 1, (n % 2) + 1])))
      if (n % 50 === 25) saves.push(store.saveLabel('case-0'))
    }
    await Promise.all([...edits, ...saves])
    const expected = new Uint8Array(8000)
    for (let n = 0; n < 200; n++) {
      expected[n] = (n % 3) + 1
      expected[n + 1] = (n % 2) + 1
    }
    expect((await store.loadLabel('case-0')).data).toEqual(expected)
    await store.dispose()
    const { store: again } = await reopen()
    expect((await again.loadLabel('case-0')).data).toEqual(expected)
  })

  it('replays unsaved edits at the next open and reports them', async () => {
    const store = await created()
    await store.applyLabelEdit('case-1', editOf([0, 1, 2], [2, 2, 2]))
    await store.applyLabelEdit('case-1', editOf([2], [1]))
    await store.dispose()
    const { store: again, recovery } = await reopen()
    expect(recovery.recovered).toEqual([{ caseId: 'case-1', edits: 2, voxelsChanged: 3, droppedBytes: 0 }])
    expect(recovery.problems).toEqual([])
    expect([...(await again.loadLabel('case-1')).data.subarray(0, 4)]).toEqual([2, 2, 1, 0])
    expect(again.getCase('case-1')).toMatchObject({ hasLabel: true, hasUnsavedEdits: false })
    expect(await journalFiles()).toEqual([])
    expect((await again.readAudit()).at(-1)).toMatchObject({ type: 'label-save', actor: 'recovery', caseId: 'case-1' })
  })

  it('drops a torn last journal record and keeps the ones before it', async () => {
    const store = await created()
    await store.applyLabelEdit('case-0', editOf([3], [1]))
    await store.applyLabelEdit('case-0', editOf([4], [2]))
    await store.dispose()
    const segment = path.join(dir, 'journal', 'case-0.000001.vxj')
    const bytes = await readFile(segment)
    // Tear the second record: keep its frame and half its payload.
    await writeFile(segment, bytes.subarray(0, bytes.length - 6))
    await appendFile(segment, Buffer.from([1, 2]))
    const { store: again, recovery } = await reopen()
    expect(recovery.recovered).toEqual([{ caseId: 'case-0', edits: 1, voxelsChanged: 1, droppedBytes: expect.any(Number) }])
    expect(recovery.recovered[0]?.droppedBytes).toBeGreaterThan(0)
    const label = await again.loadLabel('case-0')
    expect([label.data[3], label.data[4]]).toEqual([1, 0])
  })

  it('discards unsaved edits back to the saved label', async () => {
    const store = await created()
    await store.applyLabelEdit('case-0', editOf([1], [1]))
    await store.saveLabel('case-0')
    await store.applyLabelEdit('case-0', editOf([1, 2], [2, 2]))
    const summary = await store.discardUnsavedEdits('case-0')
    expect(summary.hasUnsavedEdits).toBe(false)
    expect([...(await store.loadLabel('case-0')).data.subarray(0, 3)]).toEqual([0, 1, 0])
    expect(await journalFiles()).toEqual([])
    await store.applyLabelEdit('case-0', editOf([0], [3]))
    expect([...(await store.loadLabel('case-0')).data.subarray(0, 3)]).toEqual([3, 1, 0])
  })

  it('refuses a label file that is a symlink leading out of the project', async () => {
    const store = await created()
    await writeFile(path.join(base, 'outside.nii.gz'), 'not yours')
    await symlink(path.join(base, 'outside.nii.gz'), path.join(dir, 'labels', 'case-1.nii.gz'))
    await store.dispose()
    const { store: again, recovery } = await reopen()
    expect(recovery.problems.map((p) => p.file)).toContain('labels/case-1.nii.gz')
    await expect(again.loadLabel('case-1')).rejects.toMatchObject({ code: 'PATH_OUTSIDE_PROJECT' })
    await expect(again.applyLabelEdit('case-1', editOf([0], [1]))).rejects.toMatchObject({ code: 'PATH_OUTSIDE_PROJECT' })
  })
})

describe('status, label table, predictions and the case index', () => {
  it('keeps statuses across reopening and audits them', async () => {
    const store = await created()
    await store.setStatus('case-1', 'in-review')
    await store.setStatus('case-1', 'done')
    await store.dispose()
    const { store: again } = await reopen()
    expect(again.getCase('case-1').status).toBe('done')
    const statuses = (await again.readAudit()).filter((entry) => entry.type === 'status')
    expect(statuses.map((entry) => (entry.type === 'status' ? [entry.from, entry.to] : []))).toEqual([
      ['unlabeled', 'in-review'],
      ['in-review', 'done']
    ])
  })

  it('rebuilds a lost cases.json from the files and the audit log', async () => {
    const store = await created()
    await store.setStatus('case-0', 'done')
    await store.applyLabelEdit('case-0', editOf([0, 1], [1, 2]))
    await store.saveLabel('case-0')
    await store.dispose()
    await rm(path.join(dir, 'cases.json'))
    const { store: again, recovery } = await reopen()
    expect(recovery.caseIndexRebuilt).toBe(true)
    expect(again.listCases().map((c) => [c.id, c.status, c.hasLabel])).toEqual([
      ['case-0', 'done', true],
      ['case-1', 'unlabeled', false]
    ])
    expect(again.getCase('case-0').labelStats.map((s) => s.voxels)).toEqual([1, 1])
  })

  it('adopts images added by another tool and drops records whose image is gone', async () => {
    const store = await created({ cases: 3 })
    await store.dispose()
    await rm(path.join(dir, 'images', 'case-2.nii.gz'))
    const { readFile: read } = await import('node:fs/promises')
    await writeFile(path.join(dir, 'images', 'extra.nii.gz'), await read(path.join(dir, 'images', 'case-0.nii.gz')))
    const { store: again, recovery } = await reopen()
    expect(recovery.adoptedCases).toEqual(['extra'])
    expect(recovery.missingImages).toEqual(['case-2'])
    expect(again.listCases().map((c) => c.id)).toEqual(['case-0', 'case-1', 'extra'])
  })

  it('clears the voxels of a removed label in saved labels and folds unsaved edits first', async () => {
    const store = await created()
    await store.applyLabelEdit('case-0', editOf([0, 1, 2], [1, 2, 3]))
    await store.saveLabel('case-0')
    await store.applyLabelEdit('case-1', editOf([5, 6], [2, 1]))
    const manifest = await store.updateLabelTable(TEST_LABELS.filter((label) => label.id !== 2))
    expect(manifest.labels.map((label) => label.id)).toEqual([1, 3])
    expect([...(await store.loadLabel('case-0')).data.subarray(0, 3)]).toEqual([1, 0, 3])
    expect([...(await store.loadLabel('case-1')).data.subarray(5, 7)]).toEqual([0, 1])
    expect(store.getCase('case-1').hasUnsavedEdits).toBe(false)
    await expect(store.applyLabelEdit('case-0', editOf([9], [2]))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    const entry = (await store.readAudit()).at(-1)
    expect(entry).toMatchObject({ type: 'label-table', removedIds: [2], voxelsCleared: { 'case-0': 1, 'case-1': 1 } })
    await store.dispose()
    const { store: again } = await reopen()
    expect(again.getManifest().labels.map((label) => label.id)).toEqual([1, 3])
    expect([...(await again.loadLabel('case-1')).data.subarray(5, 7)]).toEqual([0, 1])
  })

  it('stores predictions on the image grid and marks unlabeled cases predicted', async () => {
    const store = await created()
    const labels = new Uint8Array(8 * 6 * 5).fill(1)
    const summary = await store.savePrediction('case-0', labels, { modelVersion: 'v1' })
    expect(summary).toMatchObject({ status: 'predicted', hasPrediction: true })
    expect((await store.loadPrediction('case-0'))?.data).toEqual(labels)
    expect(await store.loadPrediction('case-1')).toBeNull()
  })

  it('adds cases made in memory and refuses duplicates, even in another letter case', async () => {
    const store = await created({ cases: 1 })
    const labels = new Uint8Array(4 * 4 * 4)
    labels[0] = 1
    const summary = await store.addCase({ id: 'Made', image: syntheticImage([4, 4, 4]), labels })
    expect(summary).toMatchObject({ status: 'done', hasLabel: true, labelStats: [{ labelId: 1, voxels: 1 }] })
    await expect(store.addCase({ id: 'made', image: syntheticImage([4, 4, 4]) })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' })
    expect((await readdir(dir)).filter((name) => name.startsWith('.import-'))).toEqual([])
  })
})
