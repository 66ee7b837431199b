import { describe, expect, it } from 'vitest'
import {
  ARCHITECTURE_DESCRIPTIONS,
  ARCHITECTURES,
  architecturesFor,
  DEEP_SUPERVISION_ARCHITECTURES,
  DEFAULT_LOSS,
  defaultArchitectureFor,
  describeLoss,
  lossOfPlan,
  LossPlanSchema,
  ModelShapeOptionsSchema,
  PLANAR_ARCHITECTURES,
  TrainingOptionsSchema,
  TrainingPlanSchema,
  ValidationScoresSchema
} from '../../../src/shared/training'

describe('defaultArchitectureFor: the network the training form names as the default', () => {
  it('is the 2D plain U-Net when every case is one slice, along whichever axis', () => {
    expect(defaultArchitectureFor([[512, 512, 1]])).toBe('plain-unet-2d')
    expect(defaultArchitectureFor([[512, 512, 1], [64, 1, 80], [1, 30, 30]])).toBe('plain-unet-2d')
  })

  it('is the 3D plain U-Net as soon as one case has depth, and when there are no cases', () => {
    expect(defaultArchitectureFor([[512, 512, 1], [35, 51, 35]])).toBe('plain-unet')
    expect(defaultArchitectureFor([[35, 51, 2]])).toBe('plain-unet')
    expect(defaultArchitectureFor([])).toBe('plain-unet')
  })
})

describe('architecturesFor: the networks the training form offers', () => {
  it('offers only the 2D networks when every case is one slice, all of them otherwise', () => {
    expect(architecturesFor([[512, 512, 1], [1, 30, 30]])).toEqual(['plain-unet-2d', 'residual-unet-2d', 'unetpp-2d'])
    expect(architecturesFor([[512, 512, 1], [35, 51, 35]])).toEqual(ARCHITECTURES)
    expect(architecturesFor([])).toEqual(ARCHITECTURES)
    // Each name has a one-line description (voxloop train --help, the form's tooltips), each 2D one is named so.
    expect(Object.keys(ARCHITECTURE_DESCRIPTIONS).sort()).toEqual([...ARCHITECTURES].sort())
    expect(PLANAR_ARCHITECTURES.every((name) => name.endsWith('-2d'))).toBe(true)
    expect(ARCHITECTURES.filter((name) => name.endsWith('-2d'))).toEqual(PLANAR_ARCHITECTURES)
  })
})

describe('the model shape options', () => {
  it('offer deep supervision for the plain U-Nets and U-Net++, not for the residual ones', () => {
    expect([...DEEP_SUPERVISION_ARCHITECTURES].sort()).toEqual(['plain-unet', 'plain-unet-2d', 'unetpp', 'unetpp-2d'])
  })

  it('accept the 2D default depth of a 512² slice (6) and refuse 7, past the builders\' range', () => {
    expect(ModelShapeOptionsSchema.safeParse({ architecture: 'plain-unet-2d', depth: 6 }).success).toBe(true)
    expect(ModelShapeOptionsSchema.safeParse({ depth: 7 }).success).toBe(false)
  })
})

describe('the loss options (TrainingOptions.loss)', () => {
  const parse = (loss: unknown) => TrainingOptionsSchema.safeParse({ loss })

  it.each([
    [{ kind: 'dice-ce' }],
    [{ kind: 'dice-ce', diceWeight: 2, ceWeight: 0.5 }],
    [{ kind: 'dice-bce', diceWeight: 0 }],
    [{ kind: 'focal', gamma: 0, alpha: 0.25 }],
    [{ kind: 'tversky', alpha: 0.2, beta: 0.8, ceWeight: 0 }],
    // No kind: the base model's (fine-tuning) or dice-ce, with these weights.
    [{ ceWeight: 2 }]
  ])('accept %j', (loss) => {
    expect(parse(loss).success).toBe(true)
  })

  it.each([
    [{ kind: 'hinge' }, /Invalid option/],
    [{ kind: 'dice-ce', gamma: 2 }, /'dice-ce' takes no gamma/],
    [{ kind: 'focal', beta: 0.5 }, /'focal' takes no beta \(it takes gamma, alpha\)/],
    [{ kind: 'tversky', gamma: 1 }, /'tversky' takes no gamma/],
    [{ kind: 'focal', alpha: 1 }, /focal alpha must be between 0 and 1/],
    [{ kind: 'tversky', alpha: 0, beta: 0 }, /cannot both be 0/],
    [{ kind: 'tversky', beta: 1.5 }, /expected number to be <=1$/],
    [{ kind: 'dice-ce', diceWeight: -1 }, /expected number to be >=0/],
    [{ kind: 'dice-ce', diceWeight: 0, ceWeight: 0 }, /nothing would be learned/],
    [{ kind: 'focal', gamma: 11 }, /expected number to be <=10/],
    [{ kind: 'dice-ce', smooth: 1 }, /Unrecognized key/]
  ])('refuse %j', (loss, message) => {
    const result = parse(loss)
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((i) => i.message).join('; ')).toMatch(message)
  })
})

describe('the resolved loss in the plan', () => {
  it('is one of the four shapes, all parameters present', () => {
    expect(LossPlanSchema.safeParse({ kind: 'focal', diceWeight: 1, ceWeight: 1, gamma: 2, alpha: null }).success).toBe(true)
    expect(LossPlanSchema.safeParse({ kind: 'focal', diceWeight: 1, ceWeight: 1, gamma: 2 }).success).toBe(false)
    expect(LossPlanSchema.safeParse({ kind: 'tversky', diceWeight: 1, ceWeight: 1, alpha: 0.3 }).success).toBe(false)
    expect(LossPlanSchema.safeParse({ kind: 'dice-ce', diceWeight: 1, ceWeight: 1, gamma: 2 }).success).toBe(false)
  })

  it('is dice-ce 1/1 for a plan without the field (runs before losses had names)', () => {
    expect(lossOfPlan({})).toEqual({ kind: 'dice-ce', diceWeight: 1, ceWeight: 1 })
    expect(DEFAULT_LOSS).toEqual({ kind: 'dice-ce', diceWeight: 1, ceWeight: 1 })
    expect(TrainingPlanSchema.shape.loss.safeParse(undefined).success).toBe(true)
  })

  it('is described in one line for the report and the model table', () => {
    expect(describeLoss(DEFAULT_LOSS)).toBe('Dice + CE')
    expect(describeLoss({ kind: 'dice-bce', diceWeight: 0.5, ceWeight: 1 })).toBe('0.5·Dice + BCE')
    expect(describeLoss({ kind: 'focal', diceWeight: 0, ceWeight: 1, gamma: 2, alpha: 0.25 })).toBe('focal (γ 2, α 0.25)')
    expect(describeLoss({ kind: 'tversky', diceWeight: 1, ceWeight: 2, alpha: 0.3, beta: 0.7 })).toBe('Tversky (α 0.3, β 0.7) + 2·CE')
  })
})

describe('the schedule and validation figures', () => {
  it("take the 'plateau' schedule with its patience, and pixel accuracy in [0, 1] (optional: older runs lack it)", () => {
    expect(TrainingOptionsSchema.safeParse({ schedule: 'plateau', plateauPatience: 3 }).success).toBe(true)
    expect(TrainingOptionsSchema.safeParse({ schedule: 'plateau', plateauPatience: 0 }).success).toBe(false)
    const scores = { meanForegroundDice: 0.8, perLabel: [], cases: 1 }
    expect(ValidationScoresSchema.safeParse(scores).success).toBe(true)
    expect(ValidationScoresSchema.safeParse({ ...scores, pixelAccuracy: 0.99 }).success).toBe(true)
    expect(ValidationScoresSchema.safeParse({ ...scores, pixelAccuracy: 1.2 }).success).toBe(false)
  })
})
