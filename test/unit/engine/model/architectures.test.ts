import { describe, expect, it } from 'vitest'
import { ARCHITECTURE_REGISTRY } from '../../../../src/engine/model/architectures'
import { ARCHITECTURES, DEEP_SUPERVISION_ARCHITECTURES, PLANAR_ARCHITECTURES } from '../../../../src/shared/training'

describe('the architecture registry', () => {
  it('has every name of src/shared, planar exactly where PLANAR_ARCHITECTURES says (the training form offers one-slice projects those)', () => {
    expect(Object.keys(ARCHITECTURE_REGISTRY).sort()).toEqual([...ARCHITECTURES].sort())
    for (const name of ARCHITECTURES) {
      const network = ARCHITECTURE_REGISTRY[name]
      expect(network.name).toBe(name)
      expect(network.planar, name).toBe(PLANAR_ARCHITECTURES.includes(name))
    }
  })

  it('gives deep supervision by default exactly to DEEP_SUPERVISION_ARCHITECTURES, and pools D only in 3D', () => {
    for (const name of ARCHITECTURES) {
      const network = ARCHITECTURE_REGISTRY[name]
      const options = network.resolve({ inputChannels: 1, numClasses: 2, seed: 1, planeEdge: 64 })
      expect(options.deepSupervision === true, name).toBe(DEEP_SUPERVISION_ARCHITECTURES.includes(name))
      const divisor = network.divisorOf(options)
      expect(divisor[0], name).toBe(network.planar ? 1 : 2 ** network.depthOf(options))
      expect(divisor.slice(1), name).toEqual([2 ** network.depthOf(options), 2 ** network.depthOf(options)])
    }
  })
})
