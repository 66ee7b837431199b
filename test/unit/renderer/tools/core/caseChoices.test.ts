import { describe, expect, it } from 'vitest'
import { choiceFor, reasonFor } from '../../../../../src/renderer/src/tools/core/caseChoices'
import { OVERWRITE_ANY } from '../../../../../src/renderer/src/tools/core/paintRules'
import { findAction, findTool, unavailableChoices, type ToolSettings } from '../../../../../src/renderer/src/tools/registry'

function settings(patch: Partial<ToolSettings> = {}): ToolSettings {
  return {
    tool: 'brush',
    activeLabel: 1,
    radiusMm: 3,
    shape: 'disk',
    overwrite: OVERWRITE_ANY,
    threshold: null,
    thresholdRange: { min: 0, max: 0 },
    fillDimension: '2d',
    fillBound: 'label',
    ...patch
  }
}

const ONE_SLICE = { singleSlice: true }
const VOLUME = { singleSlice: false }

describe('3D modes on a one-slice case (a 2D image)', () => {
  it('are off there: the brush\'s 3D sphere and the 3D fill, each once, with a reason naming the 2D image', () => {
    const off = unavailableChoices(ONE_SLICE)
    expect(off.map(({ setting, value, instead }) => ({ setting, value, instead }))).toEqual([
      { setting: 'shape', value: 'sphere', instead: 'disk' },
      { setting: 'fillDimension', value: '3d', instead: '2d' }
    ])
    for (const choice of off) expect(choice.reason).toMatch(/this 2D image has one slice/)
  })

  it('are all on in a 3D volume', () => {
    expect(unavailableChoices(VOLUME)).toEqual([])
  })

  it('are declared by every tool that uses the setting (the eraser and grow seeds use the brush shape)', () => {
    for (const id of ['brush', 'eraser', 'grow-from-seeds']) {
      expect(findTool(id)?.unavailableChoices?.(ONE_SLICE).map((choice) => choice.setting), id).toEqual(['shape'])
    }
    expect(findTool('fill')?.unavailableChoices?.(ONE_SLICE).map((choice) => choice.setting)).toEqual(['fillDimension'])
  })

  it('follow the pattern of interpolation, which a one-slice case cannot run either', () => {
    expect(findAction('interpolate')?.action.unavailable?.(ONE_SLICE)).toMatch(/this 2D image has one slice/)
    expect(findAction('interpolate')?.action.unavailable?.(VOLUME)).toBeNull()
  })
})

describe('choiceFor and reasonFor', () => {
  it('use the fallback for an unavailable value and keep the user\'s value otherwise', () => {
    const off = unavailableChoices(ONE_SLICE)
    expect(choiceFor(settings({ shape: 'sphere' }), 'shape', off)).toBe('disk')
    expect(choiceFor(settings({ shape: 'disk' }), 'shape', off)).toBe('disk')
    expect(choiceFor(settings({ fillDimension: '3d' }), 'fillDimension', off)).toBe('2d')
    expect(choiceFor(settings({ shape: 'sphere' }), 'shape', unavailableChoices(VOLUME))).toBe('sphere')
    expect(choiceFor(settings({ fillDimension: '3d' }), 'fillDimension', unavailableChoices(VOLUME))).toBe('3d')
  })

  it('say why a value is off, and null for values that are on', () => {
    const off = unavailableChoices(ONE_SLICE)
    expect(reasonFor(off, 'shape', 'sphere')).toMatch(/3D sphere.*2D disks/)
    expect(reasonFor(off, 'fillDimension', '3d')).toMatch(/3D fill.*2D/)
    expect(reasonFor(off, 'shape', 'disk')).toBeNull()
    expect(reasonFor(off, 'fillDimension', '2d')).toBeNull()
    expect(reasonFor(undefined, 'shape', 'sphere')).toBeNull()
    expect(reasonFor(unavailableChoices(VOLUME), 'shape', 'sphere')).toBeNull()
  })
})
