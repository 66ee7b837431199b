import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CaseData } from '../../../../src/shared/contract'
import { VoxloopError } from '../../../../src/shared/errors'
import type { CaseSummary, LabelDef, ReviewInfo } from '../../../../src/shared/project'
import type { LabelArray, Vec3, VolumeHeader, VoxelArray } from '../../../../src/shared/volume'
import type { LabelChange, VoxelEditor } from '../../../../src/renderer/src/tools'
import { OVERWRITE_ANY } from '../../../../src/renderer/src/tools/core/paintRules'
import { testVolumeHeader } from '../../../helpers/volumeHeader'
import type { PointerInteraction } from '../../../../src/renderer/src/viewer/VolumeViewer'
import { CaseSession, type CaseSessionView, type SessionTools, type SessionViewer } from '../../../../src/renderer/src/workspace/CaseSession'
import { ToolController, type ToolFeedback, type ToolSettings, type ToolViewer } from '../../../../src/renderer/src/workspace/ToolController'

const DIMS: Vec3 = [6, 5, 4]
const VOXELS = DIMS[0] * DIMS[1] * DIMS[2]
const CASE = 'case-01'

function label(id: number): LabelDef {
  return { id, name: `Label ${id}`, color: '#ff0000' }
}

function summaryOf(id: string, overrides: Partial<CaseSummary> = {}): CaseSummary {
  return {
    id,
    status: 'in-review',
    dims: DIMS,
    spacing: [1, 1, 1],
    channels: 1,
    sourceFile: `${id}.nii.gz`,
    importedAt: '2026-12-05T00:00:00.000Z',
    hasLabel: true,
    hasPrediction: false,
    hasUnsavedEdits: false,
    lastEditedAt: null,
    labelStats: [],
    prediction: null,
    review: null,
    split: null,
    ...overrides
  }
}

/** A 1 mm RAS float32 header on DIMS. */
const header = (): VolumeHeader => testVolumeHeader(DIMS)

/**
 * The project side as the app's main process behaves (labelOps.validateEdit, which the renderer's
 * tests cannot import): an edit naming a label id outside the table is refused with
 * INVALID_ARGUMENT, the others are replayed in order onto the journalled label.
 */
class FakeProject {
  table: LabelDef[]
  saved: Uint8Array
  journal: Uint8Array
  /** Every edit request, accepted or not, in arrival order. */
  readonly requests: LabelChange[] = []
  /** A passing failure to answer the next requests with (a full disk). */
  failWith: VoxloopError | null = null
  reviews: ReviewInfo[] = []
  prediction: Uint8Array | null = null

  constructor(table: LabelDef[], initial: Uint8Array = new Uint8Array(VOXELS)) {
    this.table = table
    this.saved = initial.slice()
    this.journal = initial.slice()
  }

  readonly api = {
    load: async (caseId: string): Promise<CaseData> => {
      const image = Float32Array.from({ length: VOXELS }, (_, i) => 10 + i)
      return {
        caseId,
        image: { header: header(), data: image },
        label: { header: { ...header(), datatype: 'uint8' }, data: this.saved.slice() },
        prediction: this.prediction ? { header: { ...header(), datatype: 'uint8' }, data: this.prediction.slice() } : null,
        uncertainty: this.prediction ? new Float32Array(VOXELS).fill(0.5) : null
      }
    },
    dicomSource: async (): Promise<null> => null,
    edit: async (caseId: string, change: LabelChange): Promise<{ caseId: string; voxelsChanged: number }> => {
      this.requests.push(change)
      await Promise.resolve()
      if (this.failWith) throw this.failWith
      const table = new Set(this.table.map((l) => l.id))
      for (const value of new Set(change.values)) {
        if (value !== 0 && !table.has(value)) throw new VoxloopError('INVALID_ARGUMENT', `Label edit for case ${caseId}: label ${value} is not in the project's label table`)
      }
      for (let n = 0; n < change.indices.length; n++) this.journal[change.indices[n] as number] = change.values[n] as number
      return { caseId, voxelsChanged: change.indices.length }
    },
    save: async (caseId: string): Promise<CaseSummary> => {
      this.saved = this.journal.slice()
      return summaryOf(caseId)
    },
    recordReview: async (caseId: string, review: ReviewInfo): Promise<CaseSummary> => {
      this.reviews.push(review)
      return summaryOf(caseId, { review })
    }
  }
}

/** The parts of the viewer a session drives, recording what it was told. */
class FakeViewer implements SessionViewer {
  interaction: PointerInteraction | null = null
  loads = 0
  /** The options of the last load (the window, whether a colour picture opens in colour). */
  options: Parameters<SessionViewer['load']>[1] | null = null
  load(_data: Parameters<SessionViewer['load']>[0], options: Parameters<SessionViewer['load']>[1]): void {
    this.loads++
    this.options = options
  }
  setLabelStyle(): void {}
  getWindow(): { center: number; width: number } {
    return { center: 50, width: 100 }
  }
  getIntensityRange(): [number, number] {
    return [10, 10 + VOXELS - 1]
  }
  on(): () => void {
    return () => undefined
  }
  setInteraction(interaction: PointerInteraction | null): void {
    this.interaction = interaction
  }
  labelsChanged(): void {}
}

// The tools do not read the DOM event; the viewer passes it along for tools that might.
const noEvent = {} as PointerEvent

/** The slice views as the app's ToolController sees them (no redraw to do here). */
const TOOL_VIEWER: ToolViewer = {
  sliceAxisOf: (view) => (view === 'axial' ? 2 : view === 'coronal' ? 1 : 0),
  activeView: () => 'axial',
  labelsChanged: () => undefined
}

/** A tool that paints the active label (or erases) on the one voxel under the pointer. */
class DabTool implements PointerInteraction {
  constructor(
    private readonly editor: VoxelEditor,
    private readonly feedback: ToolFeedback,
    private readonly settings: () => { tool: string; activeLabel: number }
  ) {}
  pointerDown(_view: 'axial', point: [number, number, number]): boolean {
    const { tool, activeLabel } = this.settings()
    const [i, j, k] = point
    this.editor.beginStroke('dab')
    this.editor.writeValue([i + DIMS[0] * (j + DIMS[1] * k)], tool === 'eraser' ? 0 : activeLabel)
    this.editor.endStroke()
    this.feedback.edited()
    return true
  }
  pointerMove(): void {}
  pointerUp(): void {}
}

interface Harness<T extends SessionTools> {
  session: CaseSession<T>
  project: FakeProject
  viewer: FakeViewer
  settings: ToolSettings
  patches: Array<Partial<CaseSessionView>>
  /** A click (press and release) at a voxel in the axial view; true when the press was taken. */
  dab(point: [number, number, number]): boolean
}

/** The pointer tools a test gives the session, over the session's editor, image and feedback. */
type TestTools<T extends SessionTools> = (editor: VoxelEditor, image: VoxelArray, feedback: ToolFeedback, settings: ToolSettings) => T

function harness(project: FakeProject, summary: CaseSummary | null = summaryOf(CASE)): Harness<DabTool> {
  return harnessWith(project, (editor, _image, feedback, settings) => new DabTool(editor, feedback, () => settings), summary)
}

function harnessWith<T extends SessionTools>(project: FakeProject, tools: TestTools<T>, summary: CaseSummary | null = summaryOf(CASE)): Harness<T> {
  const viewer = new FakeViewer()
  const settings: ToolSettings = {
    tool: 'brush',
    activeLabel: 1,
    radiusMm: 1,
    shape: 'disk',
    overwrite: OVERWRITE_ANY,
    threshold: null,
    thresholdRange: { min: 0, max: 0 },
    fillDimension: '2d',
    fillBound: 'label'
  }
  const patches: Array<Partial<CaseSessionView>> = []
  const session = new CaseSession<T>(CASE, {
    api: project.api,
    viewer,
    tools: (editor, image, feedback) => tools(editor, image, feedback, settings),
    labels: () => project.table,
    palette: () => project.table.map((l) => ({ id: l.id, color: l.color, visible: true })),
    labelStyle: () => ({ opacity: 0.5, outline: false }),
    modality: () => 'MR',
    channelNames: () => ['T1'],
    summary: () => summary,
    settings: () => settings,
    caseChanged: () => undefined,
    thresholdPicked: () => undefined,
    changed: (patch) => patches.push(patch),
    now: () => Date.now()
  })
  const dab = (point: [number, number, number]): boolean => {
    if (!viewer.interaction) throw new Error('no tools on the viewer')
    const taken = viewer.interaction.pointerDown('axial', point, noEvent)
    viewer.interaction.pointerUp('axial', point, noEvent)
    return taken
  }
  return { session, project, viewer, settings, patches, dab }
}

function index([i, j, k]: [number, number, number]): number {
  return i + DIMS[0] * (j + DIMS[1] * k)
}

function valuesOf(labels: LabelArray): number[] {
  return Array.from(labels)
}

describe('CaseSession', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('journals edits in the order they were made, however they queue up, and saves exactly the editor\'s label', async () => {
    const project = new FakeProject([label(1), label(2)])
    const { session, settings, dab } = harness(project)
    await session.open()
    // Three dabs on the same voxel and one beside it, painted while the first request is in flight.
    dab([1, 1, 1])
    settings.activeLabel = 2
    dab([1, 1, 1])
    dab([2, 1, 1])
    settings.tool = 'eraser'
    dab([1, 1, 1])
    settings.tool = 'brush'
    settings.activeLabel = 1
    dab([1, 1, 1])
    await vi.advanceTimersByTimeAsync(0)
    // The first request went alone; the rest were merged into one, in order.
    expect(project.requests.length).toBe(2)
    expect(valuesOf(project.journal)).toEqual(valuesOf(session.editor?.labels ?? new Uint8Array()))
    expect(project.journal[index([1, 1, 1])]).toBe(1)
    expect(project.journal[index([2, 1, 1])]).toBe(2)
    session.undo()
    await vi.advanceTimersByTimeAsync(0)
    expect(project.journal[index([1, 1, 1])]).toBe(0)
    expect(await session.save()).toBe(true)
    expect(valuesOf(project.saved)).toEqual(valuesOf(session.editor?.labels ?? new Uint8Array()))
    expect(session.view).toMatchObject({ dirty: false, sync: { pending: 0, error: null } })
    session.dispose()
  })

  it('retries a passing failure (full disk) every second without losing or reordering strokes', async () => {
    const project = new FakeProject([label(1), label(2)])
    const { session, settings, dab } = harness(project)
    await session.open()
    project.failWith = new VoxloopError('DISK_FULL', 'Disk full')
    dab([0, 0, 0])
    await vi.advanceTimersByTimeAsync(0)
    settings.activeLabel = 2
    dab([0, 0, 0])
    await vi.advanceTimersByTimeAsync(2500)
    // The first stroke alone, both together at once, then one retry a second.
    expect(project.requests.length).toBe(4)
    expect(session.view.sync).toMatchObject({ pending: 2, errorCode: 'DISK_FULL', refused: false })
    // A passing failure is the header's business (disk full: strokes kept), not an alert.
    expect(session.view.error).toBeNull()
    project.failWith = null
    await vi.advanceTimersByTimeAsync(1000)
    expect(session.view.sync).toEqual({ pending: 0, error: null, errorCode: null, refused: false })
    expect(project.journal[0]).toBe(2)
    session.dispose()
  })

  it('refuses to paint with an empty label table, saying "add a label first"; the eraser still works', async () => {
    const project = new FakeProject([], Uint8Array.from({ length: VOXELS }, (_, i) => (i === 7 ? 1 : 0)))
    // The app's ToolController (the registry's tools), counting the strokes that reached a tool.
    let strokes = 0
    const { session, settings, dab } = harnessWith(project, (editor, image, feedback, live) =>
      new ToolController(TOOL_VIEWER, editor, image, () => live, () => 0, {
        ...feedback,
        edited: () => {
          strokes++
          feedback.edited()
        }
      })
    )
    await session.open()
    expect(dab([2, 2, 2])).toBe(true)
    expect(strokes).toBe(0)
    expect(session.view.message).toMatch(/^Add a label first/)
    settings.tool = 'fill'
    dab([2, 2, 2])
    expect(strokes).toBe(0)
    await vi.advanceTimersByTimeAsync(0)
    expect(project.requests).toEqual([])
    expect(session.view.dirty).toBe(false)
    // Erasing writes background, which every table has.
    settings.tool = 'eraser'
    dab([1, 1, 0]) // voxel 7
    expect(strokes).toBe(1)
    await vi.advanceTimersByTimeAsync(0)
    expect(project.journal[7]).toBe(0)
    // A label the table lacks (keys 1–9 pick any id) is refused the same way, naming it.
    project.table = [label(2)]
    settings.tool = 'brush'
    settings.activeLabel = 5
    dab([3, 3, 3])
    expect(strokes).toBe(1)
    expect(session.view.message).toMatch(/Label 5 is not in this project's label table/)
    // With the label chosen, the stroke goes through and the outdated advice goes.
    settings.activeLabel = 2
    dab([3, 3, 3])
    expect(strokes).toBe(2)
    expect(session.view.message).toBeNull()
    session.dispose()
  })

  it('shows a refused edit once, does not resend it, keeps the strokes, and saves them once the label is added', async () => {
    const project = new FakeProject([label(1)])
    // A draft whose label 3 was deleted from the table after the prediction: the journal refuses it.
    project.prediction = Uint8Array.from({ length: VOXELS }, (_, i) => (i < 10 ? 3 : i < 20 ? 1 : 0))
    const { session, patches } = harness(project, summaryOf(CASE, { prediction: { modelVersion: 'v0001-a', uncertainty: 0.4, predictedAt: 'x', tta: false } }))
    await session.open()
    await vi.advanceTimersByTimeAsync(0)
    expect(project.requests.length).toBe(1)
    expect(session.view.sync).toMatchObject({ refused: true, pending: 1, errorCode: 'INVALID_ARGUMENT' })
    expect(session.view.error).toMatch(/Label 3 is not in this project's label table/)
    // Not resent every second: one request in ten seconds, and the explanation was given once.
    await vi.advanceTimersByTimeAsync(10_000)
    expect(project.requests.length).toBe(1)
    expect(patches.filter((p) => typeof p.error === 'string').length).toBe(1)
    // The strokes are kept in the editor.
    expect(valuesOf(session.editor?.labels ?? new Uint8Array())).toEqual(valuesOf(project.prediction))
    // Save says why it cannot, and nothing reaches the label file.
    expect(await session.save()).toBe(false)
    expect(session.view.error).toMatch(/add the label in the Labels panel/)
    expect(valuesOf(project.saved).every((v) => v === 0)).toBe(true)
    // The label is added: the kept edits go through, the alert goes, Save saves them.
    project.table = [label(1), label(3)]
    session.labelTableChanged()
    await vi.advanceTimersByTimeAsync(0)
    expect(session.view.sync).toEqual({ pending: 0, error: null, errorCode: null, refused: false })
    expect(session.view.error).toBeNull()
    expect(await session.save()).toBe(true)
    expect(valuesOf(project.saved)).toEqual(valuesOf(project.prediction))
    session.dispose()
  })

  it('a refused stroke that is undone leaves nothing refused: the retry sends the restored values', async () => {
    const project = new FakeProject([label(1)])
    const { session, dab } = harness(project)
    await session.open()
    // The table loses label 1 while the stroke is on its way (another window deleted it).
    dab([1, 1, 1])
    project.table = [label(2)]
    await vi.advanceTimersByTimeAsync(0)
    expect(session.view.sync.refused).toBe(true)
    session.undo()
    await vi.advanceTimersByTimeAsync(0)
    expect(session.view.sync).toEqual({ pending: 0, error: null, errorCode: null, refused: false })
    expect(project.journal[index([1, 1, 1])]).toBe(0)
    session.dispose()
  })

  it('accept() saves the corrected draft and records the review of its proposal', async () => {
    const project = new FakeProject([label(1), label(2)])
    project.prediction = Uint8Array.from({ length: VOXELS }, (_, i) => (i < 12 ? 1 : 0))
    const { session, settings, dab } = harness(project, summaryOf(CASE, { prediction: { modelVersion: 'v0002-b', uncertainty: 0.2, predictedAt: 'x', tta: false } }))
    await session.open()
    expect(session.view.proposalVersion).toBe('v0002-b')
    expect(session.view.message).toMatch(/v0002-b loaded as a draft/)
    settings.activeLabel = 2
    dab([0, 4, 3])
    expect(await session.accept()).toBe(true)
    expect(project.reviews).toHaveLength(1)
    expect(project.reviews[0]).toMatchObject({ modelVersion: 'v0002-b', voxelsChanged: 1 })
    expect(project.saved[index([0, 4, 3])]).toBe(2)
    session.dispose()
  })

  it('tells the screen which single view a one-slice case (a 2D image) is shown in, and null for a 3D case', async () => {
    const volume = harness(new FakeProject([label(1)]))
    await volume.session.open()
    expect(volume.session.view.singleSliceView).toBeNull()

    const flat = new FakeProject([label(1)])
    const flatDims: Vec3 = [6, 5, 1]
    flat.api.load = async (caseId: string): Promise<CaseData> => ({
      caseId,
      image: { header: testVolumeHeader(flatDims), data: new Float32Array(30) },
      label: { header: { ...testVolumeHeader(flatDims), datatype: 'uint8' }, data: new Uint8Array(30) },
      prediction: null,
      uncertainty: null
    })
    const image = harness(flat)
    await image.session.open()
    expect(image.session.view.singleSliceView).toBe('axial')
    expect(image.patches.some((patch) => patch.singleSliceView === 'axial')).toBe(true)
  })

  it('a session disposed while it loads leaves the viewer alone', async () => {
    const project = new FakeProject([label(1)])
    const { session, viewer } = harness(project)
    const opening = session.open()
    session.dispose()
    await opening
    expect(viewer.loads).toBe(0)
    expect(viewer.interaction).toBeNull()
  })
})

describe('CaseSession with a colour picture', () => {
  /** Opens a 4 × 3 × nz case of three uint8 channels in a project whose channels have these names. */
  async function openWith(dims: Vec3, channelNames: string[]): Promise<{ viewer: FakeViewer; patches: Array<Partial<CaseSessionView>> }> {
    const viewer = new FakeViewer()
    const voxels = dims[0] * dims[1] * dims[2]
    const project = new FakeProject([label(1)], new Uint8Array(voxels))
    const imageHeader: VolumeHeader = { ...testVolumeHeader(dims, [1, 1, 1], 3), datatype: 'uint8' }
    const api = {
      ...project.api,
      load: async (caseId: string): Promise<CaseData> => ({
        caseId,
        image: { header: imageHeader, data: new Uint8Array(voxels * 3) },
        label: { header: { ...testVolumeHeader(dims), datatype: 'uint8' }, data: new Uint8Array(voxels) },
        prediction: null,
        uncertainty: null
      })
    }
    const patches: Array<Partial<CaseSessionView>> = []
    const session = new CaseSession(CASE, {
      api,
      viewer,
      tools: (editor, _image, feedback) => new DabTool(editor, feedback, () => ({ tool: 'brush', activeLabel: 1 })),
      labels: () => project.table,
      palette: () => [],
      labelStyle: () => ({ opacity: 0.5, outline: false }),
      modality: () => 'other',
      channelNames: () => channelNames,
      summary: () => null,
      settings: () => ({ activeLabel: 1 }),
      caseChanged: () => undefined,
      thresholdPicked: () => undefined,
      changed: (patch) => patches.push(patch)
    })
    await session.open()
    session.dispose()
    return { viewer, patches }
  }

  it('opens a one-slice case of channels red, green, blue in colour and says so', async () => {
    const { viewer, patches } = await openWith([4, 3, 1], ['red', 'green', 'blue'])
    expect(viewer.options?.colourPicture).toBe(true)
    expect(patches.find((patch) => 'colourPicture' in patch)?.colourPicture).toBe(true)
  })

  it('keeps grey for three channels of other names, and for a 3D volume of red, green, blue', async () => {
    for (const [dims, names] of [
      [[4, 3, 1], ['T1', 'T2', 'FLAIR']],
      [[4, 3, 2], ['red', 'green', 'blue']]
    ] as Array<[Vec3, string[]]>) {
      const { viewer, patches } = await openWith(dims, names)
      expect(viewer.options?.colourPicture, names.join()).toBe(false)
      expect(patches.find((patch) => 'colourPicture' in patch)?.colourPicture).toBe(false)
    }
  })
})
