/**
 * Reading a run's cases in the engine: the NIfTI files main named (the engine never opens the
 * project store, whose lock main holds), labels turned into class indices, then prepared
 * (resampled, normalised) by the data pipeline.
 */
import type { CaseFiles } from '../../shared/engineProtocol'
import { VoxloopError } from '../../shared/errors'
import type { Modality } from '../../shared/project'
import type { NormalizationPlan, TrainingClass, TrainingPlan } from '../../shared/training'
import type { Vec3, Volume } from '../../shared/volume'
// Plain Node code shared with main (no Electron, no store): the one NIfTI reader of the app.
import { readLabelNifti, readNifti } from '../../node/formats/nifti'
import { prepareCase, type PreparedCase } from '../data/prepareCase'
import { classIndexVolume } from './trainingClasses'

export interface CaseVolumes {
  id: string
  image: Volume
  /** Class indices on the image's grid, or null without a label. */
  classLabels: Uint8Array | null
}

export async function readCaseVolumes(files: CaseFiles, classes: readonly TrainingClass[]): Promise<CaseVolumes> {
  const image = await readNifti(files.imagePath)
  if (!files.labelPath) return { id: files.id, image, classLabels: null }
  const label = await readLabelNifti(files.labelPath)
  if (label.header.dims.join() !== image.header.dims.join()) {
    throw new VoxloopError('GRID_MISMATCH', `case ${files.id}: label dims ${label.header.dims.join('×')} differ from image dims ${image.header.dims.join('×')}`)
  }
  return { id: files.id, image, classLabels: classIndexVolume(label, classes).data as Uint8Array }
}

/**
 * A case read for a trained model's prediction (Predict, evaluate, the ONNX check): refused, naming
 * the file, when its values per voxel are not the model's input channels. A 4D series or a
 * multi-channel image given to a one-channel model reached the network and failed with tfjs's
 * "expected image to have shape [null,null,null,null,1] but got array with shape [2,32,48,32,2]".
 */
export async function readModelInputVolumes(files: CaseFiles, plan: Pick<TrainingPlan, 'classes' | 'inputChannels'>, version: string): Promise<CaseVolumes> {
  const volumes = await readCaseVolumes(files, plan.classes)
  const { channels, dims } = volumes.image.header
  if (channels !== plan.inputChannels) {
    const what = channels === 1 ? 'one value per voxel' : `${channels} values per voxel (channels or time points: dims ${dims.join('×')}×${channels})`
    throw new VoxloopError('INVALID_ARGUMENT', `${files.imagePath}: the image has ${what}; model ${version} was trained on images with ${plan.inputChannels} channel(s)`)
  }
  return volumes
}

export interface PrepareOptions {
  targetSpacingMm: Vec3
  modality: Modality
  /** The model's recorded normalisation (plan.normalization); absent for older models: by modality. */
  normalization?: NormalizationPlan | undefined
}

/** The prepare options of a model's plan: the same at training, validation and prediction. */
export function prepareOptionsOf(plan: Pick<TrainingPlan, 'targetSpacingMm' | 'modality' | 'normalization'>): PrepareOptions {
  return { targetSpacingMm: plan.targetSpacingMm, modality: plan.modality, normalization: plan.normalization }
}

export function prepareCaseVolumes(volumes: CaseVolumes, options: PrepareOptions): PreparedCase {
  const label = volumes.classLabels ? { header: { ...volumes.image.header, channels: 1, datatype: 'uint8' as const }, data: volumes.classLabels } : null
  const fixed = options.normalization?.scheme === 'ct-dataset' ? options.normalization.channels : null
  return prepareCase(volumes.image, label, {
    targetSpacing: options.targetSpacingMm,
    modality: options.modality,
    id: volumes.id,
    ...(fixed ? { normalization: { fixed } } : {})
  })
}

/** The files of each id, in the order given; NOT_FOUND naming the ids main did not send. */
export function filesForIds(ids: readonly string[], cases: readonly CaseFiles[], why: string): CaseFiles[] {
  const byId = new Map(cases.map((c) => [c.id, c]))
  const missing = ids.filter((id) => !byId.has(id))
  if (missing.length > 0) throw new VoxloopError('NOT_FOUND', `${why}: case(s) ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''} are not among the cases given`)
  return ids.map((id) => byId.get(id) as CaseFiles)
}
