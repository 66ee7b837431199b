/**
 * The slice shader: window/level and a colour map on the image (or a colour picture's own RGB), then the label map blended on
 * top (filled or as outlines), then an optional heat-map overlay (prediction uncertainty); a threshold
 * preview tints the voxels whose raw value is in the range being chosen.
 * Textures hold raw values; all mapping happens here so that window changes cost no upload.
 * The label slice is an unsigned-integer texture (R8UI or R16UI, the label map's own width) read as
 * exact values, and the palette a 256×256 table indexed by value (labelPalette.ts): ids up to 65535.
 */
export const SLICE_VERTEX = /* glsl */ `
out vec2 vUv;
void main() {
  vUv = uv;
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
}
`

/**
 * The uncertainty heat map's colours at 0 and 1 (linear in between, its opacity rising with the
 * value): the colour bar (components/workspace/UncertaintyLegend.vue) draws the same ramp. Wine to
 * mint, lightness rising all the way: every colour on it is at least 15 ΔE00 from the demo's label
 * colours and the twelve default ones (the old blue → yellow ramp ended 15 ΔE00 from the demo's
 * orange "Organ" and passed through the blue "Vessel"), so the label outlines drawn under the heat
 * map stay told apart from it (uncertaintyRamp.test.ts measures this).
 */
export const HEAT_LOW_RGB: readonly [number, number, number] = [0.6, 0.0, 0.36]
export const HEAT_HIGH_RGB: readonly [number, number, number] = [0.7, 1.0, 0.7]

function glslVec3(rgb: readonly [number, number, number]): string {
  return rgb.map((c) => c.toFixed(3)).join(', ')
}

export const SLICE_FRAGMENT = /* glsl */ `
precision highp float;
precision highp sampler2D;
in vec2 vUv;
out vec4 outColor;
uniform sampler2D uImage;
uniform highp usampler2D uLabel;
uniform sampler2D uPalette;
uniform sampler2D uColormap;
uniform sampler2D uOverlay;
uniform bool uColour;
uniform sampler2D uRgb;
uniform float uWindowLow;
uniform float uWindowHigh;
uniform float uLabelOpacity;
uniform bool uOutline;
uniform bool uShowOverlay;
uniform float uOverlayOpacity;
uniform bool uShowThreshold;
uniform float uThresholdLow;
uniform float uThresholdHigh;
uniform vec2 uTexel;

uint labelAt(vec2 uv) {
  return texture(uLabel, uv).r;
}

vec4 paletteEntry(uint label) {
  return texelFetch(uPalette, ivec2(int(label & 255u), int(label >> 8u)), 0);
}

void main() {
  float value = texture(uImage, vUv).r;
  float t = clamp((value - uWindowLow) / max(uWindowHigh - uWindowLow, 1e-6), 0.0, 1.0);
  vec3 color = texture(uColormap, vec2(t * (255.0 / 256.0) + 0.5 / 256.0, 0.5)).rgb;
  // A colour picture: its R, G, B, already windowed (rgbComposite.ts), instead of one channel in grey.
  if (uColour) color = texture(uRgb, vUv).rgb;

  // Threshold preview: the voxels a range-limited tool would touch, tinted under the labels.
  if (uShowThreshold && value >= uThresholdLow && value <= uThresholdHigh) {
    color = mix(color, vec3(0.1, 0.85, 0.95), 0.45);
  }

  uint label = labelAt(vUv);
  if (label > 0u) {
    vec4 entry = paletteEntry(label);
    float alpha = entry.a * uLabelOpacity;
    if (uOutline) {
      bool edge = labelAt(vUv + vec2(uTexel.x, 0.0)) != label || labelAt(vUv - vec2(uTexel.x, 0.0)) != label ||
                  labelAt(vUv + vec2(0.0, uTexel.y)) != label || labelAt(vUv - vec2(0.0, uTexel.y)) != label;
      alpha = edge ? entry.a : 0.0;
    }
    color = mix(color, entry.rgb, alpha);
  }

  // The uncertainty heat map goes over the labels, not under them: under them it took on their colours.
  if (uShowOverlay) {
    float heat = clamp(texture(uOverlay, vUv).r, 0.0, 1.0);
    vec3 heatColor = mix(vec3(${glslVec3(HEAT_LOW_RGB)}), vec3(${glslVec3(HEAT_HIGH_RGB)}), heat);
    color = mix(color, heatColor, uOverlayOpacity * heat);
  }
  outColor = vec4(color, 1.0);
}
`
