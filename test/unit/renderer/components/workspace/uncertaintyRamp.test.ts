import { describe, expect, it } from 'vitest'
import { heatRampStops } from '../../../../../src/renderer/src/components/workspace/uncertaintyRamp'
import { HEAT_HIGH_RGB, HEAT_LOW_RGB, SLICE_FRAGMENT } from '../../../../../src/renderer/src/viewer/shaders'

describe('the uncertainty colour bar', () => {
  it('draws the shader\'s ramp: transparent at 0, the high colour at the heat map\'s opacity at 1', () => {
    const stops = heatRampStops(0.6, 4)
    expect(stops).toHaveLength(5)
    const low = HEAT_LOW_RGB.map((c) => Math.round(255 * c)).join(', ')
    const high = HEAT_HIGH_RGB.map((c) => Math.round(255 * c)).join(', ')
    expect(stops[0]).toBe(`rgba(${low}, 0.000) 0.0%`)
    expect(stops[4]).toBe(`rgba(${high}, 0.600) 100.0%`)
    // Halfway: the mean colour at half the opacity.
    expect(stops[2]).toMatch(/^rgba\(\d+, \d+, \d+, 0\.300\) 50\.0%$/)
  })

  it('uses the colours the slice shader blends (one source for both)', () => {
    const glsl = (rgb: readonly number[]): string => rgb.map((c) => c.toFixed(3)).join(', ')
    expect(SLICE_FRAGMENT).toContain(`mix(vec3(${glsl(HEAT_LOW_RGB)}), vec3(${glsl(HEAT_HIGH_RGB)}), heat)`)
    // Drawn after the labels, so that it is not tinted by them.
    expect(SLICE_FRAGMENT.indexOf('uShowOverlay) {')).toBeGreaterThan(SLICE_FRAGMENT.indexOf('color = mix(color, entry.rgb, alpha)'))
  })
})
