import path from 'node:path'
import { describeVolume, readNifti, type VolumeDescription } from '../../../node/formats/nifti'

/** `voxloop info <file> [--json]`: the grid, orientation and contents of a NIfTI file. */
export async function infoCommand(file: string, json: boolean): Promise<void> {
  const resolved = path.resolve(file)
  const description = describeVolume(await readNifti(resolved), resolved)
  process.stdout.write(json ? `${JSON.stringify(description, null, 2)}\n` : formatDescription(description))
}

export function formatDescription(d: VolumeDescription): string {
  const lines = [
    d.file,
    `  NIfTI-${d.niftiVersion}, ${d.datatype}, ${d.dims.join(' × ')}${d.channels > 1 ? ` × ${d.channels} channels` : ''}`,
    `  spacing      ${d.spacing.map((s) => s.toFixed(4)).join(' × ')} mm`,
    `  orientation  ${d.orientation}`,
    '  affine (voxel → RAS mm)',
    ...d.affine.map((row) => `    ${row.map((v) => v.toFixed(4).padStart(11)).join(' ')}`),
    `  intensities  ${d.intensityRange ? `${d.intensityRange[0]} … ${d.intensityRange[1]}` : 'none finite'}`
  ]
  if (d.labelCounts) {
    const entries = Object.entries(d.labelCounts).sort((a, b) => Number(a[0]) - Number(b[0]))
    // Few values: a label map worth listing. Many: an integer image (the JSON still has them all).
    if (entries.length <= 64) {
      lines.push('  voxels per value')
      for (const [value, count] of entries) lines.push(`    ${value.padStart(6)}  ${count.toLocaleString('en-US')}`)
    } else {
      lines.push(`  ${entries.length} distinct integer values (--json lists the count of each)`)
    }
  }
  return `${lines.join('\n')}\n`
}
