import { describe, expect, it } from 'vitest'
import { ARCHITECTURE_DESCRIPTIONS, ARCHITECTURES, architecturesFor, DEEP_SUPERVISION_ARCHITECTURES, defaultArchitectureFor, ModelShapeOptionsSchema, PLANAR_ARCHITECTURES } from '../../../src/shared/training'

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
