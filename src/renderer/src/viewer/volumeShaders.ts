/**
 * Ray-marched volume rendering in the unit cube's texture space: the image through a grey ramp
 * transfer function, labels as coloured surfaces shaded by the gradient of their occupancy, and an
 * optional cut-away of the octant in front of the crosshair. Labels are an unsigned-integer 3D
 * texture in the label map's own width and the palette a 256×256 table indexed by value, as in the
 * slice shader.
 */
export const VOLUME_VERTEX = /* glsl */ `
out vec3 vOrigin;
out vec3 vDirection;
uniform vec3 uCameraObject;
void main() {
  vOrigin = uCameraObject;
  vDirection = position - uCameraObject;
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
}
`

export const VOLUME_FRAGMENT = /* glsl */ `
precision highp float;
precision highp sampler3D;
precision highp usampler3D;
in vec3 vOrigin;
in vec3 vDirection;
out vec4 outColor;
uniform sampler3D uImage;
uniform usampler3D uLabel;
uniform sampler2D uPalette;
uniform vec3 uTexel;
uniform float uLow;
uniform float uHigh;
uniform float uDensity;
uniform bool uShowImage;
uniform bool uShowLabels;
uniform bool uClip;
uniform vec3 uCrosshair;
uniform vec3 uClipSign;
uniform int uSteps;

vec2 hitBox(vec3 origin, vec3 dir) {
  vec3 inv = 1.0 / dir;
  vec3 t0 = (vec3(-0.5) - origin) * inv;
  vec3 t1 = (vec3(0.5) - origin) * inv;
  vec3 tmin = min(t0, t1);
  vec3 tmax = max(t0, t1);
  return vec2(max(max(tmin.x, tmin.y), tmin.z), min(min(tmax.x, tmax.y), tmax.z));
}

bool clipped(vec3 uvw) {
  if (!uClip) return false;
  vec3 d = (uvw - uCrosshair) * uClipSign;
  return d.x > 0.0 && d.y > 0.0 && d.z > 0.0;
}

float occupancy(vec3 uvw) {
  return texture(uLabel, uvw).r > 0u ? 1.0 : 0.0;
}

void main() {
  vec3 dir = normalize(vDirection);
  vec2 bounds = hitBox(vOrigin, dir);
  if (bounds.x > bounds.y) discard;
  bounds.x = max(bounds.x, 0.0);
  float stepSize = 1.732 / float(uSteps);
  vec4 acc = vec4(0.0);
  vec3 light = normalize(-dir + vec3(0.3, 0.5, 0.2));
  for (int s = 0; s < 1024; s++) {
    if (s >= uSteps) break;
    float t = bounds.x + (float(s) + 0.5) * stepSize;
    if (t > bounds.y || acc.a > 0.97) break;
    vec3 uvw = vOrigin + dir * t + 0.5;
    if (clipped(uvw)) continue;
    if (uShowLabels) {
      uint label = texture(uLabel, uvw).r;
      if (label > 0u) {
        vec4 entry = texelFetch(uPalette, ivec2(int(label & 255u), int(label >> 8u)), 0);
        if (entry.a > 0.0) {
          vec3 grad = vec3(
            occupancy(uvw - vec3(uTexel.x, 0, 0)) - occupancy(uvw + vec3(uTexel.x, 0, 0)),
            occupancy(uvw - vec3(0, uTexel.y, 0)) - occupancy(uvw + vec3(0, uTexel.y, 0)),
            occupancy(uvw - vec3(0, 0, uTexel.z)) - occupancy(uvw + vec3(0, 0, uTexel.z)));
          vec3 n = length(grad) > 0.0 ? normalize(grad) : -dir;
          float shade = 0.35 + 0.65 * max(dot(n, light), 0.0);
          vec4 c = vec4(entry.rgb * shade, 0.85);
          acc.rgb += (1.0 - acc.a) * c.a * c.rgb;
          acc.a += (1.0 - acc.a) * c.a;
          continue;
        }
      }
    }
    if (uShowImage) {
      float v = texture(uImage, uvw).r;
      float a = clamp((v - uLow) / max(uHigh - uLow, 1e-3), 0.0, 1.0);
      a = a * a * uDensity;
      acc.rgb += (1.0 - acc.a) * a * vec3(v);
      acc.a += (1.0 - acc.a) * a;
    }
  }
  if (acc.a < 0.01) discard;
  outColor = vec4(acc.rgb / max(acc.a, 1e-3) * min(acc.a * 1.2, 1.0), 1.0);
}
`
