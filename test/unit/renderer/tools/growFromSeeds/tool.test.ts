import { afterEach, describe, expect, it } from 'vitest'
import { VoxelEditor } from '../../../../../src/renderer/src/tools/core/VoxelEditor'
import { indexFromIjk } from '../../../../../src/renderer/src/tools/core/grid'
import { OVERWRITE_ANY } from '../../../../../src/renderer/src/tools/core/paintRules'
import type { GrowRunner } from '../../../../../src/renderer/src/tools/growFromSeeds/GrowWorkerClient'
import { growFromSeeds } from '../../../../../src/renderer/src/tools/growFromSeeds/kernel'
import { applyGrow, cancelGrow, growOptions, growPanel, refreshGrowPanel } from '../../../../../src/renderer/src/tools/growFromSeeds/options'
import { createGrowHandler, growFromSeedsTool, growSettingsFromOptions } from '../../../../../src/renderer/src/tools/growFromSeeds/tool'
import { findTool } from '../../../../../src/renderer/src/tools/registry'
import type { ToolContext, ToolSettings } from '../../../../../src/renderer/src/tools/voxelTool'
import { grid, imageWhere } from './helpers'

/** 16×16×1: bright disc-free half plane (i < 8) and dark half; 1 mm voxels; seeds painted with a 1 mm disk. */
const g = grid([16, 16, 1])
const image = imageWhere(g, (i) => (i < 8 ? 500 : 100))
const event = {} as PointerEvent

function makeContext(labels = new Uint8Array(256)) {
  const editor = new VoxelEditor(labels, g)
  const settings: ToolSettings = {
    tool: 'grow-from-seeds',
    activeLabel: 2,
    radiusMm: 1,
    shape: 'disk',
    overwrite: OVERWRITE_ANY,
    threshold: null,
    thresholdRange: { min: 0, max: 1 },
    fillDimension: '2d',
    fillBound: 'label'
  }
  const log = { shown: 0, edited: 0, messages: [] as string[] }
  const context: ToolContext = {
    editor,
    settings: () => settings,
    image: () => image,
    viewAxis: () => 'axial',
    activeAxis: () => 'axial',
    showEdits: () => {
      editor.takeDirty()
      log.shown++
    },
    edited: () => log.edited++,
    message: (text) => log.messages.push(text),
    thresholdPicked: () => undefined
  }
  return { labels, editor, settings, context, log }
}

let runs = 0
const direct: GrowRunner = (request) => {
  runs++
  return Promise.resolve({ result: growFromSeeds(request), milliseconds: 0 })
}

afterEach(() => {
  growOptions.seedKind = 'label'
  growOptions.autoUpdate = true
  growOptions.marginMm = 10
  growOptions.locality = 0
  runs = 0
  cancelGrow()
})

/** Lets the preview's promise chain settle (the runner above resolves at once). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

describe('grow from seeds tool', () => {
  it('is in the registry under its own id and key', () => {
    expect(findTool('grow-from-seeds')).toBe(growFromSeedsTool)
    expect(growFromSeedsTool.keys).toEqual(['w'])
    expect(growFromSeedsTool.paints).toBe(true)
  })

  it('seeds the active label with a drag, background when the panel says so, and previews after the stroke', async () => {
    const { labels, editor, context, log } = makeContext()
    const handler = createGrowHandler(context, direct)
    expect(handler.pointerDown?.('axial', [2, 2, 0], event)).toBe(true)
    handler.pointerMove?.('axial', [2, 6, 0], event)
    handler.pointerUp?.('axial', [2, 6, 0], event)
    expect(labels[indexFromIjk(g, 2, 4, 0)]).toBe(2)
    expect(growPanel.state.phase).toBe('seeding')
    expect(runs).toBe(0) // one kind of seed: nothing to compete
    growOptions.seedKind = 'background'
    handler.pointerDown?.('axial', [13, 8, 0], event)
    handler.pointerUp?.('axial', [13, 8, 0], event)
    await settle()
    expect(runs).toBe(1)
    expect(growPanel.state.phase).toBe('preview')
    expect(labels[indexFromIjk(g, 7, 15, 0)]).toBe(2)
    expect(labels[indexFromIjk(g, 8, 0, 0)]).toBe(0)
    expect(editor.inStroke).toBe(true)
    expect(log.shown).toBeGreaterThan(2)
    expect(log.edited).toBe(0)
  })

  it('the panel\'s Apply commits one undo unit and tells the workspace; Esc (cancel) drops everything', async () => {
    const { labels, editor, context, log } = makeContext()
    const handler = createGrowHandler(context, direct)
    handler.pointerDown?.('axial', [2, 2, 0], event)
    handler.pointerUp?.('axial', [2, 2, 0], event)
    growOptions.seedKind = 'background'
    handler.pointerDown?.('axial', [13, 8, 0], event)
    handler.pointerUp?.('axial', [13, 8, 0], event)
    await settle()
    await applyGrow()
    expect(editor.undoDepth).toBe(1)
    expect(log.edited).toBe(1)
    expect(log.messages.at(-1)).toMatch(/128 voxels \(one undo step\)/)
    expect(labels.filter((v) => v === 2).length).toBe(128)

    handler.pointerDown?.('axial', [12, 12, 0], event)
    handler.cancel?.()
    expect(editor.inStroke).toBe(false)
    expect(labels.filter((v) => v === 2).length).toBe(128)
    expect(log.messages.at(-1)).toMatch(/cancelled/)
  })

  it('forgets a session whose case closed, so the panel offers nothing stale', () => {
    const { editor, context } = makeContext()
    const handler = createGrowHandler(context, direct)
    handler.pointerDown?.('axial', [2, 2, 0], event)
    expect(growPanel.state.phase).toBe('seeding')
    editor.dispose()
    refreshGrowPanel()
    expect(growPanel.state.phase).toBe('idle')
  })

  it.each([
    { input: { marginMm: -5, locality: 3 }, expected: { marginMm: 0, locality: 3 } },
    { input: { marginMm: 1e6, locality: 99 }, expected: { marginMm: 100, locality: 10 } },
    { input: { marginMm: Number.NaN, locality: Number.NaN }, expected: { marginMm: 10, locality: 0 } }
  ])('clamps the panel\'s number fields: $input', ({ input, expected }) => {
    expect(growSettingsFromOptions(input)).toEqual(expected)
  })
})
