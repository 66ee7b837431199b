import { describe, expect, it } from 'vitest'
import { DEEP_SUPERVISION_ARCHITECTURES, defaultArchitectureFor, ModelShapeOptionsSchema } from '../../../src/shared/training'

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

describe('the model shape options', () => {
  it('offer deep supervision for both plain U-Nets and not for the residual one', () => {
    expect([...DEEP_SUPERVISION_ARCHITECTURES].sort()).toEqual(['plain-unet', 'plain-unet-2d'])
  })

  it('accept the 2D default depth of a 512² slice (6) and refuse 7, past the builders\' range', () => {
    expect(ModelShapeOptionsSchema.safeParse({ architecture: 'plain-unet-2d', depth: 6 }).success).toBe(true)
    expect(ModelShapeOptionsSchema.safeParse({ depth: 7 }).success).toBe(false)
  })
})
