import { describe, expect, it } from 'vitest'
import type { TrainingPlan } from '../../../../src/shared/training'
import { gridShiftMargins, gridShiftsFor, gridShiftsOfPlan, PREDICTION_TILE_BUDGET } from '../../../../src/engine/infer/gridShifts'
import { tilePositions } from '../../../../src/engine/infer/slidingWindow'
import { architectureOf } from '../../../../src/engine/model/architectures'

describe('gridShiftMargins', () => {
  it('gives a 3D network 8 margins of 0 or half its divisor per axis, the plain pass first and the diagonal second', () => {
    const margins = gridShiftMargins([8, 8, 8])
    expect(margins).toHaveLength(8)
    expect(margins[0]).toEqual([0, 0, 0])
    expect(margins[1]).toEqual([4, 4, 4])
    expect(new Set(margins.map((m) => m.join()))).toEqual(new Set(['0,0,0', '0,0,4', '0,4,0', '0,4,4', '4,0,0', '4,0,4', '4,4,0', '4,4,4']))
  })

  it('moves a 2D network only in the plane it pools (4 margins), and a network that does not pool not at all', () => {
    const planar = gridShiftMargins([1, 16, 16])
    expect(planar).toHaveLength(4)
    expect(planar.every((m) => m[0] === 0)).toBe(true)
    expect(planar[1]).toEqual([0, 8, 8])
    expect(gridShiftMargins([1, 1, 1])).toEqual([[0, 0, 0]])
  })
})

describe('gridShiftsFor', () => {
  it('gives a hippocampus-sized case every pass within the budget', () => {
    const shifts = gridShiftsFor([8, 8, 8], [35, 51, 36], [32, 48, 32])
    expect(shifts).toHaveLength(8)
    const voxels = shifts.reduce((n, m) => n + tilePositions([35, 51, 36], [32, 48, 32], 0.5, m).length * 32 * 48 * 32, 0)
    expect(voxels).toBeLessThanOrEqual(PREDICTION_TILE_BUDGET)
  })

  it('leaves out a pass whose tiles another pass already has: a thin axis gets one centred tile whatever its margin', () => {
    // W = 24 with margins is 32 at most, one centred tile: the passes that differ only in W repeat.
    const shifts = gridShiftsFor([8, 8, 8], [35, 51, 24], [32, 48, 32])
    expect(shifts).toHaveLength(4)
    expect(shifts.every((m) => m[2] === 0 || m.join() === '4,4,4')).toBe(true)
    const tilings = shifts.map((m) => JSON.stringify(tilePositions([35, 51, 24], [32, 48, 32], 0.5, m)))
    expect(new Set(tilings).size).toBe(4)
    // A case smaller than the patch on every axis: one pass, not 8 of the same.
    expect(gridShiftsFor([8, 8, 8], [20, 30, 20], [32, 48, 32])).toEqual([[0, 0, 0]])
  })

  it('gives a large CT one plain pass, so that its prediction costs what it did', () => {
    expect(gridShiftsFor([16, 16, 16], [300, 400, 400], [96, 128, 128])).toEqual([[0, 0, 0]])
  })

  it('stops adding passes where the next would overrun the budget', () => {
    // A moved grid can need more tiles than the plain one (here 27 against 8): the budget counts each pass's own.
    const cost = (margin: readonly [number, number, number]): number => tilePositions([20, 20, 20], [16, 16, 16], 0.5, [...margin]).length * 16 ** 3
    const margins = gridShiftMargins([8, 8, 8])
    const [a, b, c, d] = margins.map(cost) as [number, number, number, number]
    expect(b).toBeGreaterThan(a)
    const shifts = gridShiftsFor([8, 8, 8], [20, 20, 20], [16, 16, 16], 0.5, a + b + c + d / 2)
    expect(shifts).toEqual(margins.slice(0, 3))
    // A budget below even the plain pass still predicts once.
    expect(gridShiftsFor([8, 8, 8], [20, 20, 20], [16, 16, 16], 0.5, 1)).toEqual([[0, 0, 0]])
  })

  it('reads the divisor from a version plan: the default 3D network (depth 3) moves its grid by 4 voxels', () => {
    const model = architectureOf({ architecture: 'plain-unet' }).resolve({ inputChannels: 1, numClasses: 3, seed: 1 })
    expect(model.depth).toBe(3)
    const shifts = gridShiftsOfPlan({ architecture: 'plain-unet', model: model as TrainingPlan['model'], patchSize: [32, 48, 32] }, [35, 51, 36])
    expect(shifts).toHaveLength(8)
    expect(shifts[1]).toEqual([4, 4, 4])
  })

  it("moves a 2D network's grid in its plane only: the X-ray default (depth 5) on a slice its patch's size gets 4 passes", () => {
    const planar = architectureOf({ architecture: 'plain-unet-2d' })
    const model = planar.resolve({ inputChannels: 1, numClasses: 2, seed: 1, planeEdge: 192 })
    expect(model.depth).toBe(5)
    // Plain first (one tile), then both plane axes moved by 16 px, then each alone; never the depth axis.
    expect(gridShiftsOfPlan({ architecture: 'plain-unet-2d', model: model as TrainingPlan['model'], patchSize: [1, 192, 192] }, [1, 192, 192])).toEqual([
      [0, 0, 0],
      [0, 16, 16],
      [0, 0, 16],
      [0, 16, 0]
    ])
  })
})
