/**
 * `voxloop set-spacing <project> <sx> <sy> [--cases id,id,…|@file] [--json]`: the pixel spacing in
 * mm of one-slice cases imported from 2D images (all of them, or those named), as the project page's
 * "Pixel spacing" form sets it (ProjectStore.setPixelSpacing: headers rewritten, voxels unchanged;
 * refused, naming the cases, for 3D cases and cases with unsaved edits).
 */
import path from 'node:path'
import { VoxloopError } from '../../../shared/errors'
import { PIXEL_SPACING_MAX_MM, PIXEL_SPACING_MIN_MM, PixelSpacingMmSchema, type CaseSummary } from '../../../shared/project'
import { ProjectStore } from '../../services/project/ProjectStore'

/** `<sx> <sy>` as typed → [x, y] mm; INVALID_ARGUMENT naming the value at fault, before the project is opened. */
export function parseSpacingArgs(values: readonly string[]): [number, number] {
  if (values.length !== 2) {
    throw new VoxloopError('INVALID_ARGUMENT', `voxloop set-spacing: give the spacing as two numbers in mm, <sx> <sy> (got ${values.length})`)
  }
  const parsed = values.map((text, index) => {
    // Number('') is 0 and Number(' 1') is 1: only a plain decimal is a spacing.
    const value = /^\d*\.?\d+(e[-+]?\d+)?$/i.test(text) ? Number(text) : Number.NaN
    if (!PixelSpacingMmSchema.safeParse(value).success) {
      throw new VoxloopError(
        'INVALID_ARGUMENT',
        `voxloop set-spacing: <${index === 0 ? 'sx' : 'sy'}> must be a number of ${PIXEL_SPACING_MIN_MM} to ${PIXEL_SPACING_MAX_MM} mm, got "${text}"`
      )
    }
    return value
  })
  return [parsed[0] as number, parsed[1] as number]
}

export interface SpacingReport {
  project: string
  spacingMm: [number, number]
  cases: { caseId: string; spacing: [number, number, number] }[]
}

export async function setSpacingCommand(
  projectDir: string,
  spacingMm: [number, number],
  caseIds: string[] | undefined,
  options: { json: boolean }
): Promise<SpacingReport> {
  const folder = path.resolve(projectDir)
  const { store } = await ProjectStore.open(folder)
  try {
    const changed: CaseSummary[] = await store.setPixelSpacing(spacingMm, caseIds)
    const report: SpacingReport = { project: folder, spacingMm, cases: changed.map((c) => ({ caseId: c.id, spacing: c.spacing })) }
    process.stdout.write(
      options.json
        ? `${JSON.stringify(report, null, 2)}\n`
        : `Pixel spacing of ${changed.length} 2D case(s) in ${folder}: ${spacingMm[0]} × ${spacingMm[1]} mm (${changed.map((c) => c.id).join(', ')})\n`
    )
    return report
  } finally {
    await store.dispose()
  }
}
