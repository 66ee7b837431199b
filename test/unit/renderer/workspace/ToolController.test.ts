import { describe, expect, it } from 'vitest'
import type { Vec3 } from '../../../../src/shared/volume'
import { makeGrid, VoxelEditor, type IntensityRange } from '../../../../src/renderer/src/tools'
import { ToolController, type ToolSettings, type ToolViewer } from '../../../../src/renderer/src/workspace/ToolController'
import { OVERWRITE_ANY } from '../../../../src/renderer/src/tools/core/paintRules'
import { TOOLS } from '../../../../src/renderer/src/tools/registry'

/**
 * The controller through its public interface, as the viewer and the workspace use it: pointer
 * events and actions on a real voxel editor, a fake viewer that records what it is told to redraw.
 */
const DIMS: Vec3 = [10, 10, 10]
const grid = makeGrid(DIMS)
const index = (i: number, j: number, k: number): number => i + DIMS[0] * (j + DIMS[1] * k)
// The tools do not read the DOM event; the viewer passes it along for tools that might.
const noEvent = {} as PointerEvent

/** An int16 image: 1000 in the cube [3, 6]³ (64 voxels), 0 elsewhere. */
function cubeImage(): Int16Array {
  const image = new Int16Array(1000)
  for (let k = 3; k <= 6; k++) for (let j = 3; j <= 6; j++) for (let i = 3; i <= 6; i++) image[index(i, j, k)] = 1000
  return image
}

function settings(patch: Partial<ToolSettings>): ToolSettings {
  return {
    tool: 'brush',
    activeLabel: 1,
    radiusMm: 1,
    shape: 'disk',
    overwrite: OVERWRITE_ANY,
    threshold: null,
    thresholdRange: { min: 0, max: 0 },
    fillDimension: '2d',
    fillBound: 'label',
    ...patch
  }
}

function setup(initial: Partial<ToolSettings>, image: Int16Array | Float32Array = cubeImage(), singleSlice: 'axial' | null = null) {
  const editor = new VoxelEditor(new Uint8Array(1000), grid)
  const redrawn: unknown[] = []
  const viewer: ToolViewer = {
    sliceAxisOf: (view) => (view === 'axial' ? 2 : view === 'coronal' ? 1 : 0),
    activeView: () => 'axial',
    labelsChanged: (dirty) => {
      redrawn.push(dirty)
    },
    singleSliceView: () => singleSlice
  }
  const picked: IntensityRange[] = []
  const messages: string[] = []
  let edits = 0
  // The case's answer to "may the active label be painted?" (null: yes), and how often it was asked.
  const refusal: { text: string | null; asked: number } = { text: null, asked: 0 }
  const withdrawn: string[] = []
  const live = settings(initial)
  const controller = new ToolController(viewer, editor, image, () => live, () => 0, {
    edited: () => {
      edits++
    },
    message: (text) => messages.push(text),
    thresholdPicked: (range) => picked.push(range),
    paintRefusal: () => {
      refusal.asked++
      return refusal.text
    },
    withdrawMessage: (text) => withdrawn.push(text)
  })
  const labelled = (): number[] => {
    const out: number[] = []
    editor.labels.forEach((value, n) => {
      if (value !== 0) out.push(n)
    })
    return out
  }
  return { editor, controller, live, picked, messages, redrawn, labelled, edits: () => edits, refusal, withdrawn }
}

const cubeIndices = (): number[] => {
  const out: number[] = []
  const image = cubeImage()
  image.forEach((value, n) => {
    if (value === 1000) out.push(n)
  })
  return out
}

describe('ToolController: fill bounded by the threshold range (issue #15 defect 2)', () => {
  it('fills only the voxels in the range the panel shows while "paint only intensities in range" is off', () => {
    // The defect: with the box unticked the fill fell back to a label bound and flooded all 1000 voxels.
    const { controller, labelled, edits } = setup({ tool: 'fill', fillDimension: '3d', fillBound: 'intensity', threshold: null, thresholdRange: { min: 700, max: 5000 } })
    expect(controller.pointerDown('axial', [4, 4, 4], noEvent)).toBe(true)
    expect(labelled()).toEqual(cubeIndices())
    expect(edits()).toBe(1)
  })

  it('fills the same voxels with the box ticked, and the 2D fill stays in the clicked slice', () => {
    const ticked = setup({ tool: 'fill', fillDimension: '3d', fillBound: 'intensity', threshold: { min: 700, max: 5000 }, thresholdRange: { min: 700, max: 5000 } })
    ticked.controller.pointerDown('axial', [4, 4, 4], noEvent)
    expect(ticked.labelled()).toEqual(cubeIndices())
    const flat = setup({ tool: 'fill', fillDimension: '2d', fillBound: 'intensity', thresholdRange: { min: 700, max: 5000 } })
    flat.controller.pointerDown('axial', [4.2, 3.9, 5], noEvent)
    expect(flat.labelled()).toEqual(cubeIndices().filter((n) => Math.floor(n / 100) === 5))
  })

  it('still floods the connected label region when bounded by label edges', () => {
    const { controller, labelled } = setup({ tool: 'fill', fillDimension: '3d', fillBound: 'label', thresholdRange: { min: 700, max: 5000 } })
    controller.pointerDown('axial', [0, 0, 0], noEvent)
    expect(labelled()).toHaveLength(1000)
  })
})

describe('ToolController: picking the threshold range (issue #15: rounded to the data precision)', () => {
  it('reports whole numbers for an integer image', () => {
    // A noisy int16 patch: value ± 2σ is fractional before rounding.
    const image = new Int16Array(1000)
    for (let n = 0; n < 1000; n++) image[n] = 500 + ((n * 37) % 23)
    const { controller, picked } = setup({ tool: 'pick-threshold', radiusMm: 2 }, image)
    controller.pointerDown('axial', [5, 5, 5], noEvent)
    expect(picked).toHaveLength(1)
    const [range] = picked
    expect(Number.isInteger(range?.min)).toBe(true)
    expect(Number.isInteger(range?.max)).toBe(true)
    expect(range!.min).toBeLessThanOrEqual(image[index(5, 5, 5)]!)
    expect(range!.max).toBeGreaterThanOrEqual(image[index(5, 5, 5)]!)
  })

  it('keeps three significant digits of the width for float data', () => {
    const image = new Float32Array(1000)
    for (let n = 0; n < 1000; n++) image[n] = 0.5 + ((n * 37) % 23) / 997
    const { controller, picked } = setup({ tool: 'pick-threshold', radiusMm: 2 }, image)
    controller.pointerDown('axial', [5, 5, 5], noEvent)
    const [range] = picked
    const width = range!.max - range!.min
    const step = 10 ** (Math.floor(Math.log10(width)) - 2)
    for (const bound of [range!.min, range!.max]) expect(Math.abs(bound / step - Math.round(bound / step))).toBeLessThan(1e-6)
  })
})

describe('ToolController: delegating to the registry', () => {
  it('gives navigate no drag, and paints one undo unit per brush stroke', () => {
    const { controller, editor, live, labelled, edits } = setup({ tool: 'navigate' })
    expect(controller.pointerDown('axial', [5, 5, 5], noEvent)).toBe(false)
    expect(labelled()).toEqual([])
    live.tool = 'brush'
    expect(controller.pointerDown('axial', [2, 2, 5], noEvent)).toBe(true)
    controller.pointerMove('axial', [7, 2, 5], noEvent)
    controller.pointerUp('axial', [7, 2, 5], noEvent)
    expect(labelled()).toContain(index(2, 2, 5))
    expect(labelled()).toContain(index(7, 2, 5))
    expect(new Set(labelled().map((n) => Math.floor(n / 100)))).toEqual(new Set([5]))
    expect(edits()).toBe(1)
    expect(editor.undo()).toBe(true)
    expect(labelled()).toEqual([])
  })

  it('ends an open stroke, keeping it, when the tool changes mid-drag', () => {
    const { controller, editor, live, labelled } = setup({ tool: 'brush' })
    controller.pointerDown('axial', [2, 2, 5], noEvent)
    live.tool = 'eraser'
    controller.pointerMove('axial', [7, 7, 5], noEvent)
    const painted = labelled()
    expect(painted.length).toBeGreaterThan(0)
    expect(editor.canUndo).toBe(true)
  })

  it('resizes the brush on Ctrl+wheel but lets the view zoom for other tools; rings only for brush and eraser', () => {
    const { controller, live } = setup({ tool: 'brush', radiusMm: 3 })
    expect(controller.wheel(1)).toBe(true)
    expect(live.radiusMm).toBeCloseTo(3.45, 10)
    expect(controller.cursorRadiusMm()).toBeCloseTo(3.45, 10)
    live.tool = 'fill'
    expect(controller.wheel(1)).toBe(false)
    expect(controller.cursorRadiusMm()).toBeNull()
  })

  it('runs actions by id (interpolate in the active view) and refuses an unknown one', () => {
    const { controller, editor, live, labelled, messages, redrawn } = setup({ tool: 'brush', activeLabel: 2 })
    // Label 2 on axial slices 2 and 6: interpolation fills 3, 4 and 5.
    editor.applyEdit('seed', (e) => e.writeValue(Uint32Array.from([index(4, 4, 2), index(4, 4, 6)]), 2))
    editor.takeDirty()
    expect(controller.runAction('interpolate')).toBe(true)
    expect(labelled()).toEqual([2, 3, 4, 5, 6].map((k) => index(4, 4, k)))
    expect(messages.at(-1)).toMatch(/Interpolated 3 voxels across 3 axial slices/)
    expect(redrawn.length).toBeGreaterThan(0)
    expect(controller.runAction('no-such-action')).toBe(false)
    expect(live.tool).toBe('brush')
  })

  it('says why interpolation is off in a one-slice case instead of running it; other actions still run', () => {
    const { controller, editor, labelled, messages } = setup({ tool: 'brush', activeLabel: 2 }, cubeImage(), 'axial')
    editor.applyEdit('seed', (e) => e.writeValue(Uint32Array.from([index(4, 4, 2), index(4, 4, 6)]), 2))
    editor.takeDirty()
    const before = labelled()
    expect(controller.runAction('interpolate')).toBe(true)
    expect(messages.at(-1)).toBe('Interpolation fills the slices between labelled slices; this 2D image has one slice')
    expect(labelled()).toEqual(before)
    expect(editor.canUndo).toBe(true) // only the seed edit: the action added no undo unit
    editor.undo()
    expect(editor.canUndo).toBe(false)
    // Removing islands works on one slice as on many: it is not turned off.
    const islands = TOOLS.flatMap((tool) => tool.actions ?? []).filter((action) => action.id !== 'interpolate')
    for (const action of islands) expect(action.unavailable?.({ singleSlice: true }) ?? null).toBeNull()
  })

  it('measures with the ruler by a drag or two clicks, in mm, changing no label', () => {
    const { controller, messages, labelled } = setup({ tool: 'ruler' })
    expect(controller.pointerDown('axial', [1, 1, 5], noEvent)).toBe(true)
    controller.pointerMove('axial', [4, 5, 5], noEvent)
    controller.pointerUp('axial', [4, 5, 5], noEvent)
    expect(messages.at(-1)).toBe('Ruler: 5.0 mm')
    // A click without a drag sets one end; the second click the other.
    controller.pointerDown('axial', [0, 0, 5], noEvent)
    controller.pointerUp('axial', [0, 0, 5], noEvent)
    expect(messages).toHaveLength(1)
    controller.pointerDown('axial', [6, 8, 5], noEvent)
    expect(messages.at(-1)).toBe('Ruler: 10.0 mm')
    expect(labelled()).toEqual([])
  })
})

describe('ToolController: painting a label the project lacks (issue #15 defect 1)', () => {
  const ADD_A_LABEL = 'Add a label first: this project has no label to paint with'
  const writers = TOOLS.filter((tool) => tool.writesActiveLabel).map((tool) => tool.id)

  it('refuses a press of each tool that writes the active label: the refusal is shown, the press taken, nothing painted', () => {
    expect(writers).toEqual(expect.arrayContaining(['brush', 'fill', 'grow-from-seeds']))
    const { controller, editor, live, messages, labelled, edits, refusal } = setup({ tool: 'brush' })
    refusal.text = ADD_A_LABEL
    for (const tool of writers) {
      live.tool = tool
      // Taken (true), so the view does not pan under a refused stroke.
      expect(controller.pointerDown('axial', [5, 5, 5], noEvent), tool).toBe(true)
      controller.pointerUp('axial', [5, 5, 5], noEvent)
      expect(messages.at(-1), tool).toBe(ADD_A_LABEL)
    }
    expect(refusal.asked).toBe(writers.length)
    expect(labelled()).toEqual([])
    expect(edits()).toBe(0)
    expect(editor.canUndo).toBe(false)
  })

  it('lets the tools that write no label through without asking: the eraser erases, navigate leaves the drag to the view', () => {
    const { controller, editor, live, labelled, messages, refusal, withdrawn } = setup({ tool: 'eraser' })
    editor.applyEdit('seed', (e) => e.writeValue(Uint32Array.from([index(5, 5, 5)]), 1))
    editor.takeDirty()
    refusal.text = ADD_A_LABEL
    expect(controller.pointerDown('axial', [5, 5, 5], noEvent)).toBe(true)
    controller.pointerUp('axial', [5, 5, 5], noEvent)
    expect(labelled()).toEqual([])
    live.tool = 'navigate'
    expect(controller.pointerDown('axial', [5, 5, 5], noEvent)).toBe(false)
    expect(refusal.asked).toBe(0)
    expect(messages).toEqual([])
    expect(withdrawn).toEqual([])
  })

  it('withdraws the refusal it showed at the next press that goes through, once', () => {
    const { controller, live, labelled, refusal, withdrawn } = setup({ tool: 'brush', activeLabel: 5 })
    refusal.text = "Label 5 is not in this project's label table"
    controller.pointerDown('axial', [5, 5, 5], noEvent)
    expect(withdrawn).toEqual([])
    // The label is chosen: the stroke paints and the outdated advice goes.
    refusal.text = null
    live.activeLabel = 2
    expect(controller.pointerDown('axial', [5, 5, 5], noEvent)).toBe(true)
    controller.pointerUp('axial', [5, 5, 5], noEvent)
    expect(labelled()).toContain(index(5, 5, 5))
    expect(withdrawn).toEqual(["Label 5 is not in this project's label table"])
    controller.pointerDown('axial', [6, 6, 5], noEvent)
    controller.pointerUp('axial', [6, 6, 5], noEvent)
    expect(withdrawn).toHaveLength(1)
  })
})
