import type { Rng } from './seededRandom'

/** Geometry in millimetres, centred on the volume: signed distances of the demo structures. */

export type Vec3 = [number, number, number]
/** Row-major 3×3 rotation; its columns are the shape's local axes in volume coordinates. */
export type Mat3 = [number, number, number, number, number, number, number, number, number]

export interface EllipsoidShape {
  centerMm: Vec3
  semiAxesMm: Vec3
  rotation: Mat3
  /** Low-order deformation of the surface (0 = plain ellipsoid); each in about [-0.3, 0.3]. */
  lobes: Vec3
}

export interface TubeShape {
  /** Points along the centre line, in order. */
  pathMm: Vec3[]
  radiusMm: number
}

/** Rotation from Euler angles (radians) about x, then y, then z. */
export function rotationFromEuler(ax: number, ay: number, az: number): Mat3 {
  const [cx, sx, cy, sy, cz, sz] = [Math.cos(ax), Math.sin(ax), Math.cos(ay), Math.sin(ay), Math.cos(az), Math.sin(az)]
  return [
    cy * cz, sx * sy * cz - cx * sz, cx * sy * cz + sx * sz,
    cy * sz, sx * sy * sz + cx * cz, cx * sy * sz - sx * cz,
    -sy, sx * cy, cx * cy
  ]
}

export function randomRotation(rng: Rng, maxAngle: number): Mat3 {
  return rotationFromEuler(rng.uniform(-maxAngle, maxAngle), rng.uniform(-maxAngle, maxAngle), rng.uniform(-Math.PI, Math.PI))
}

/** Volume coordinates → the shape's local frame: Rᵀ (p − c). */
export function toLocal(shape: EllipsoidShape, p: Vec3): Vec3 {
  const [dx, dy, dz] = [p[0] - shape.centerMm[0], p[1] - shape.centerMm[1], p[2] - shape.centerMm[2]]
  const r = shape.rotation
  return [r[0] * dx + r[3] * dy + r[6] * dz, r[1] * dx + r[4] * dy + r[7] * dz, r[2] * dx + r[5] * dy + r[8] * dz]
}

/** The shape's local frame → volume coordinates: R l + c. */
export function toVolume(shape: EllipsoidShape, local: Vec3): Vec3 {
  const r = shape.rotation
  return [
    r[0] * local[0] + r[1] * local[1] + r[2] * local[2] + shape.centerMm[0],
    r[3] * local[0] + r[4] * local[1] + r[5] * local[2] + shape.centerMm[1],
    r[6] * local[0] + r[7] * local[1] + r[8] * local[2] + shape.centerMm[2]
  ]
}

/** Distance from the centre to the (deformed) surface along the unit local direction `u`. */
export function surfaceRadius(shape: EllipsoidShape, u: Vec3): number {
  const [a, b, c] = shape.semiAxesMm
  const ellipsoid = 1 / Math.sqrt((u[0] / a) ** 2 + (u[1] / b) ** 2 + (u[2] / c) ** 2)
  const [l1, l2, l3] = shape.lobes
  const deformation = 1 + l1 * u[0] * u[1] + l2 * (u[2] * u[2] - 1 / 3) + l3 * u[0] * u[2]
  return ellipsoid * Math.max(0.5, deformation)
}

/**
 * Approximate signed distance (mm, negative inside): distance from the centre minus the surface
 * radius along the same ray. Exact for spheres; close enough for shading and labels here.
 */
export function ellipsoidSignedDistance(shape: EllipsoidShape, p: Vec3): number {
  const local = toLocal(shape, p)
  const length = Math.hypot(local[0], local[1], local[2])
  if (length < 1e-9) return -Math.min(...shape.semiAxesMm)
  const u: Vec3 = [local[0] / length, local[1] / length, local[2] / length]
  return length - surfaceRadius(shape, u)
}

/** Points along the quadratic Bézier curve through `from`, pulled toward `control`, to `to`. */
export function bezierPath(from: Vec3, control: Vec3, to: Vec3, segments: number): Vec3[] {
  const points: Vec3[] = []
  for (let s = 0; s <= segments; s++) {
    const t = s / segments
    const [w0, w1, w2] = [(1 - t) ** 2, 2 * (1 - t) * t, t * t]
    points.push([
      w0 * from[0] + w1 * control[0] + w2 * to[0],
      w0 * from[1] + w1 * control[1] + w2 * to[1],
      w0 * from[2] + w1 * control[2] + w2 * to[2]
    ])
  }
  return points
}

function distanceToSegment(p: Vec3, a: Vec3, b: Vec3): number {
  const ab: Vec3 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]]
  const ap: Vec3 = [p[0] - a[0], p[1] - a[1], p[2] - a[2]]
  const lengthSquared = ab[0] * ab[0] + ab[1] * ab[1] + ab[2] * ab[2]
  const t = lengthSquared > 0 ? Math.max(0, Math.min(1, (ap[0] * ab[0] + ap[1] * ab[1] + ap[2] * ab[2]) / lengthSquared)) : 0
  return Math.hypot(ap[0] - t * ab[0], ap[1] - t * ab[1], ap[2] - t * ab[2])
}

export function tubeSignedDistance(tube: TubeShape, p: Vec3): number {
  let nearest = Infinity
  for (let s = 0; s + 1 < tube.pathMm.length; s++) {
    const a = tube.pathMm[s]
    const b = tube.pathMm[s + 1]
    if (!a || !b) continue
    // Cheap rejection: the segment lies within half its length of its midpoint.
    const halfLength = Math.hypot(b[0] - a[0], b[1] - a[1], b[2] - a[2]) / 2
    const toMid = Math.hypot(p[0] - (a[0] + b[0]) / 2, p[1] - (a[1] + b[1]) / 2, p[2] - (a[2] + b[2]) / 2)
    if (toMid - halfLength >= nearest) continue
    nearest = Math.min(nearest, distanceToSegment(p, a, b))
  }
  return nearest - tube.radiusMm
}

/** Axis-aligned bounds of the tube, grown by `marginMm`. */
export function tubeBounds(tube: TubeShape, marginMm: number): { min: Vec3; max: Vec3 } {
  const min: Vec3 = [Infinity, Infinity, Infinity]
  const max: Vec3 = [-Infinity, -Infinity, -Infinity]
  for (const point of tube.pathMm) {
    for (let axis = 0; axis < 3; axis++) {
      min[axis] = Math.min(min[axis] ?? 0, (point[axis] ?? 0) - tube.radiusMm - marginMm)
      max[axis] = Math.max(max[axis] ?? 0, (point[axis] ?? 0) + tube.radiusMm + marginMm)
    }
  }
  return { min, max }
}
