import { describe, expect, it } from 'vitest'
import { heatRampStops } from '../../../../../src/renderer/src/components/workspace/uncertaintyRamp'
import { HEAT_HIGH_RGB, HEAT_LOW_RGB, SLICE_FRAGMENT } from '../../../../../src/renderer/src/viewer/shaders'
import { deltaE2000 } from '../../../../../src/renderer/src/viewer/labelPalette'
import { DEFAULT_LABEL_COLORS, DEMO_LABEL_COLORS, rgbToLab } from '../../../../../src/shared/labelColors'

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

describe('the uncertainty ramp beside the label colours', () => {
  /** Every colour the bar draws (at full opacity), as sRGB bytes. */
  const rampColours = (): Array<[number, number, number]> =>
    heatRampStops(1, 100).map((stop) => {
      const match = /^rgba\((\d+), (\d+), (\d+),/.exec(stop)
      if (!match) throw new Error(`not an rgba stop: ${stop}`)
      return [Number(match[1]), Number(match[2]), Number(match[3])]
    })
  const hexRgb = (hex: string): [number, number, number] => {
    const value = Number.parseInt(hex.slice(1), 16)
    return [(value >> 16) & 255, (value >> 8) & 255, value & 255]
  }
  const labels = [
    ...Object.entries(DEMO_LABEL_COLORS).map(([name, color]) => ({ name: `demo ${name}`, color })),
    ...DEFAULT_LABEL_COLORS.map((color, n) => ({ name: `default label ${n + 1}`, color }))
  ]

  it('keeps every ramp colour at least 15 ΔE00 from the demo labels and the twelve default label colours', () => {
    let nearest = { distance: Infinity, where: '' }
    for (const [n, rgb] of rampColours().entries()) {
      for (const label of labels) {
        const distance = deltaE2000(rgbToLab(rgb), rgbToLab(hexRgb(label.color)))
        if (distance < nearest.distance) nearest = { distance, where: `u = ${n / 100} (rgb ${rgb.join(', ')}) vs ${label.name} ${label.color}` }
      }
    }
    expect(nearest.distance, nearest.where).toBeGreaterThanOrEqual(15)
  })

  it('rises in lightness from sure to hesitant, so the bar reads as one scale', () => {
    const lightness = rampColours().map((rgb) => rgbToLab(rgb)[0])
    for (let n = 1; n < lightness.length; n++) expect(lightness[n]).toBeGreaterThanOrEqual(lightness[n - 1] as number)
    expect((lightness.at(-1) as number) - (lightness[0] as number)).toBeGreaterThan(40)
  })
})
