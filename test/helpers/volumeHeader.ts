/**
 * A VolumeHeader for tests: an axis-aligned RAS float32 grid (sform = diag(spacing), origin 0).
 * Pure TypeScript with no Node import (unlike niftiBuilder.ts, which needs node:zlib), so that the
 * renderer's tests, compiled with the DOM-only web tsconfig, can use it as well as the Node ones.
 */
import type { Vec3, VolumeHeader } from '../../src/shared/volume'

export function testVolumeHeader(dims: Vec3, spacing: Vec3 = [1, 1, 1], channels = 1): VolumeHeader {
  return {
    dims,
    channels,
    spacing,
    rasFromIjk: [
      [spacing[0], 0, 0, 0],
      [0, spacing[1], 0, 0],
      [0, 0, spacing[2], 0],
      [0, 0, 0, 1]
    ],
    affineSource: 'sform',
    orientation: 'RAS',
    storedDatatype: 'float32',
    datatype: 'float32',
    sclSlope: 1,
    sclInter: 0,
    niftiVersion: 1,
    description: 'test',
    geometry: {
      qformCode: 0,
      sformCode: 1,
      quaternB: 0,
      quaternC: 0,
      quaternD: 0,
      qoffsetX: 0,
      qoffsetY: 0,
      qoffsetZ: 0,
      pixdim: [1, spacing[0], spacing[1], spacing[2], 1, 1, 1, 1],
      srowX: [spacing[0], 0, 0, 0],
      srowY: [0, spacing[1], 0, 0],
      srowZ: [0, 0, spacing[2], 0],
      xyztUnits: 10
    }
  }
}
