import { readdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { CaseFiles } from '../src/shared/engineProtocol'

/** The labelled hippocampus cases of ../shared/data (MSD Task04), read in place. */
export const HIPPOCAMPUS_DIR = path.resolve(__dirname, '../../shared/data/labeled/msd_task04_hippocampus')

/** The 40 Montgomery chest X-rays (512² PNG) with lung masks of ../shared/data (MANIFEST.md section E), read in place. */
export const MONTGOMERY_DIR = path.resolve(__dirname, '../../shared/data/2d/cxr-lung-montgomery')

/** The 1/5/15-minute load averages, for the notes: the 2 cores are often shared with other work. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')
}

/** The lower median (the middle value, or the smaller of the two middle ones). */
export function lowerMedian(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN
}

/** Every case of HIPPOCAMPUS_DIR: imagesTr/<id>.nii.gz with its labelsTr/<id>.nii.gz, sorted by id. */
export async function listHippocampusCases(): Promise<CaseFiles[]> {
  const names = (await readdir(path.join(HIPPOCAMPUS_DIR, 'imagesTr'))).filter((n) => n.endsWith('.nii.gz')).sort()
  return names.map((name) => ({
    id: name.replace(/\.nii\.gz$/, ''),
    imagePath: path.join(HIPPOCAMPUS_DIR, 'imagesTr', name),
    labelPath: path.join(HIPPOCAMPUS_DIR, 'labelsTr', name)
  }))
}
