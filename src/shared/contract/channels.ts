import { z } from 'zod'
import { BackendReportSchema } from '../backends'
import { SettingsPatchSchema, SettingsSchema, RecentProjectSchema } from '../settings'
import { SystemInfoSchema, SystemLoadSchema } from '../system'
import { PredictionRequestSchema, PredictionStatusSchema } from '../prediction'
import {
  CaseIdSchema,
  CaseSplitSchema,
  CaseStatusSchema,
  CaseSummarySchema,
  DicomSeriesListSchema,
  DicomSourceSchema,
  FolderContentsSchema,
  ExportFormatSchema,
  ExportReportSchema,
  FourDImportSchema,
  ImportReportSchema,
  LabelDefSchema,
  ModalitySchema,
  ProjectManifestSchema,
  RecoveryReportSchema,
  ReviewInfoSchema,
  SetPixelSpacingRequestSchema
} from '../project'
import type { LabelVolume, Volume } from '../volume'
import {
  EvaluationReportSchema,
  ModelVersionInfoSchema,
  ModelVersionSchema,
  TrainingOptionsSchema,
  TrainingStartedSchema,
  TrainingStatusSchema
} from '../training'
import { defineChannel } from './defineChannel'

/** An absolute or relative folder path typed by the user or returned by a picker. */
const FolderPathSchema = z
  .string()
  .trim()
  .min(1, 'path must not be empty')
  .max(4096, 'path is too long')
  // No file system accepts NUL in a name; Node would throw a TypeError deep inside instead.
  .refine((value) => !value.includes('\u0000'), 'path must not contain a NUL character')

export const ProjectOverviewSchema = z.object({
  path: z.string(),
  name: z.string(),
  manifest: ProjectManifestSchema,
  cases: z.array(CaseSummarySchema),
  /** What opening found and repaired (unsaved edits replayed from the journal, …). */
  recovery: RecoveryReportSchema,
  /** The folder could not be written: the project is open for viewing, predicting elsewhere and export. */
  readOnly: z.boolean().default(false)
})
export type ProjectOverview = z.infer<typeof ProjectOverviewSchema>

const CreateProjectSchema = z
  .object({
    folder: FolderPathSchema,
    name: z.string().trim().min(1).max(200),
    /** Absent: the first import decides it from the data (dataset.json, else the intensities). */
    modality: ModalitySchema.optional(),
    channelNames: z.array(z.string().trim().min(1).max(100)).min(1).max(64).optional(),
    labels: z.array(LabelDefSchema).max(1000).optional()
  })
  .strict()

/** A label edit: flat voxel indices and the absolute new value of each. */
const LabelEditSchema = z
  .object({
    indices: z.custom<Uint32Array>((v) => v instanceof Uint32Array, 'indices must be a Uint32Array'),
    values: z.custom<Uint8Array | Uint16Array>((v) => v instanceof Uint8Array || v instanceof Uint16Array, 'values must be a Uint8Array or Uint16Array')
  })
  .strict()
  .refine((edit) => edit.indices.length === edit.values.length, 'indices and values must have the same length')

export const CaseDataSchema = z.object({
  caseId: z.string(),
  image: z.custom<Volume>(),
  label: z.custom<LabelVolume>(),
  prediction: z.custom<LabelVolume>().nullable(),
  /** Voxel entropy of the last prediction, on the image grid (0 = sure). */
  uncertainty: z.custom<Float32Array>().nullable()
})
export type CaseData = z.infer<typeof CaseDataSchema>

/**
 * The one contract: channel name → argument tuple schema and result schema. Names are
 * 'domain:verb'; the renderer reaches a channel as `api.<domain>.<verb>(...args)`.
 */
export const channels = {
  'app:ping': defineChannel(
    'Round trip used to measure responsiveness; echoes the number it is given.',
    z.tuple([z.number()]),
    z.object({ echo: z.number(), receivedAt: z.number() })
  ),
  'system:info': defineChannel(
    'App version, compute backend, CPU, memory and GPUs of this machine.',
    z.tuple([]),
    SystemInfoSchema
  ),
  'system:backends': defineChannel(
    'The compute backend the engine chose, why, and why the others were not chosen.',
    z.tuple([]),
    BackendReportSchema
  ),
  'system:load': defineChannel('CPU, memory and GPU use right now (for the training panel).', z.tuple([]), SystemLoadSchema),
  'settings:get': defineChannel('Current settings.', z.tuple([]), SettingsSchema),
  'settings:update': defineChannel(
    'Change some settings; returns all of them.',
    z.tuple([SettingsPatchSchema]),
    SettingsSchema
  ),
  'projects:recent': defineChannel('Recently opened projects, newest first.', z.tuple([]), z.array(RecentProjectSchema)),
  'projects:forget': defineChannel(
    'Remove a folder from the recent list (the folder itself is untouched).',
    z.tuple([FolderPathSchema]),
    z.array(RecentProjectSchema)
  ),
  'projects:pickFolder': defineChannel(
    'Ask the user for a folder with the system dialog (desktop only); null when cancelled.',
    z.tuple([z.object({ title: z.string().max(200).optional() }).strict().optional()]),
    z.string().nullable()
  ),
  'projects:open': defineChannel(
    'Open the project in a folder; replays unsaved edits left by a crash and says what it recovered.',
    z.tuple([FolderPathSchema]),
    ProjectOverviewSchema
  ),
  'projects:create': defineChannel('Create an empty project in a new or empty folder and open it.', z.tuple([CreateProjectSchema]), ProjectOverviewSchema),
  'projects:createDemo': defineChannel(
    'Create (or reopen) the built-in demo project: small generated MR-like cases, some labelled.',
    z.tuple([z.object({ folder: FolderPathSchema.optional() }).strict().optional()]),
    ProjectOverviewSchema
  ),
  'projects:demoFolder': defineChannel('Where the demo project is created by default.', z.tuple([]), z.string()),
  'projects:current': defineChannel('The open project, or null.', z.tuple([]), ProjectOverviewSchema.nullable()),
  'projects:close': defineChannel('Close the open project (unsaved edits stay in its journal).', z.tuple([]), z.null()),
  'projects:import': defineChannel(
    'Import a folder of NIfTI files or a Medical Segmentation Decathlon folder (or a folder of DICOM series) into the open project, sending projects:importProgress per case; fourD: what the 4th dimension of 4D NIfTI images holds (default: decided per file, time series skipped).',
    z.tuple([
      FolderPathSchema,
      z
        .object({
          fourD: FourDImportSchema.optional(),
          /** Of a DICOM folder, only this series: a `choice` from projects:listDicomSeries, a series number or SeriesInstanceUID. */
          series: z.string().trim().min(1).max(200).optional()
        })
        .strict()
        .optional()
    ]),
    ImportReportSchema
  ),
  'projects:listDicomSeries': defineChannel(
    'The series of a DICOM folder (searched with its sub-folders), for choosing which to import: number, description, modality, dims. Converts the folder to find them, so it takes as long as an import\'s conversion.',
    z.tuple([FolderPathSchema]),
    DicomSeriesListSchema
  ),
  'projects:inspectFolder': defineChannel(
    'What a folder holds (a Voxloop project, an MSD dataset, NIfTI files, DICOM files or none of these), from file names and DICOM signatures; for offering to make a project of a dataset folder.',
    z.tuple([FolderPathSchema]),
    FolderContentsSchema
  ),
  'projects:cancelImport': defineChannel(
    'Stop the running import before its next case; nothing of it is added to the project (the import answers CANCELLED). cancelled: whether one was running.',
    z.tuple([]),
    z.object({ cancelled: z.boolean() })
  ),
  'projects:export': defineChannel(
    'Export into a folder outside the project: labels as NIfTI (with an ITK-SNAP label file) or 3D Slicer .seg.nrrd (optionally with predictions), or the project as an MSD or nnU-Net v2 dataset folder.',
    z.tuple([
      z
        .object({
          folder: FolderPathSchema,
          format: ExportFormatSchema,
          includePredictions: z.boolean().default(false),
          caseIds: z.array(CaseIdSchema).optional()
        })
        .strict()
    ]),
    ExportReportSchema
  ),
  'projects:setModality': defineChannel(
    'Set the project\'s modality (CT, MR or other): it decides the input normalisation of the next training; existing models keep their own.',
    z.tuple([ModalitySchema]),
    ProjectManifestSchema
  ),
  'projects:updateLabels': defineChannel(
    'Replace the label table (a removed label becomes background in every label).',
    z.tuple([z.array(LabelDefSchema).max(65535)]),
    ProjectManifestSchema
  ),
  'cases:list': defineChannel('The open project\'s cases with status, label counts and volumes.', z.tuple([]), z.array(CaseSummarySchema)),
  'cases:setStatus': defineChannel('Change a case\'s status (e.g. mark it done).', z.tuple([CaseIdSchema, CaseStatusSchema]), CaseSummarySchema),
  'cases:setSplit': defineChannel(
    'Move a case to the train, validation or test split (recorded in the audit log; the assignment rule never moves it back).',
    z.tuple([CaseIdSchema, CaseSplitSchema]),
    CaseSummarySchema
  ),
  'cases:setPixelSpacing': defineChannel(
    'Set the pixel spacing [x, y] (mm, 0.001–100) of one-slice cases imported from 2D images (the named ones, or all): their image and label headers are rewritten, voxels unchanged. Refused, naming the cases, for a 3D case or one with unsaved edits.',
    z.tuple([SetPixelSpacingRequestSchema]),
    z.array(CaseSummarySchema)
  ),
  'cases:load': defineChannel('A case\'s image, current label and prediction, as typed arrays.', z.tuple([CaseIdSchema]), CaseDataSchema),
  'cases:dicomSource': defineChannel(
    'The DICOM identifiers a case was imported with (patient, study, series), or null for a case not from DICOM. Kept in the project on this machine, shown, never sent elsewhere.',
    z.tuple([CaseIdSchema]),
    DicomSourceSchema.nullable()
  ),
  'labels:edit': defineChannel(
    'Record a label edit; resolves once it is in the crash-safe journal on disk.',
    z.tuple([CaseIdSchema, LabelEditSchema]),
    z.object({ caseId: z.string(), voxelsChanged: z.number().int() })
  ),
  'cases:recordReview': defineChannel(
    'Record how much a reviewer changed a model proposal (effort, Dice, time) when accepting a case.',
    z.tuple([CaseIdSchema, ReviewInfoSchema]),
    CaseSummarySchema
  ),
  'labels:save': defineChannel('Save a case\'s label to labels/<case>.nii.gz (atomic).', z.tuple([CaseIdSchema]), CaseSummarySchema),
  'labels:discard': defineChannel('Drop a case\'s unsaved edits.', z.tuple([CaseIdSchema]), CaseSummarySchema),
  'training:start': defineChannel(
    'Train a new model version on the curated cases (or fine-tune one, or resume one) in the compute engine; answers once the run is planned, then sends training:progress, training:epoch and training:finished.',
    z.tuple([TrainingOptionsSchema]),
    TrainingStartedSchema
  ),
  'training:cancel': defineChannel(
    'Stop the live training run after the step under way; its last epoch checkpoint stays and can be resumed.',
    z.tuple([]),
    z.object({ cancelled: z.boolean() })
  ),
  'training:status': defineChannel('The live training run (plan, latest progress and epoch) and how the previous one ended.', z.tuple([]), TrainingStatusSchema),
  'predictions:run': defineChannel(
    'Predict cases with a model version in the background (default: the active model on every case not in review or done).',
    z.tuple([PredictionRequestSchema.optional()]),
    PredictionStatusSchema
  ),
  'predictions:cancel': defineChannel('Stop the background prediction run.', z.tuple([]), PredictionStatusSchema),
  'predictions:status': defineChannel('The background prediction run, if any.', z.tuple([]), PredictionStatusSchema),
  'models:activate': defineChannel(
    'Make a model version the project\'s active model (the one that predicts); an older one rolls back.',
    z.tuple([CaseIdSchema]),
    ProjectManifestSchema
  ),
  'models:list': defineChannel('The open project\'s model versions with their status and validation metrics, oldest first.', z.tuple([]), z.array(ModelVersionInfoSchema)),
  'models:evaluate': defineChannel(
    'Predict cases whole with a model version and score them against their saved labels (the cases listed, the curated cases of one split, or every curated case).',
    z.tuple([
      z
        .object({ version: ModelVersionSchema, caseIds: z.array(CaseIdSchema).min(1).optional(), split: CaseSplitSchema.optional() })
        .strict()
        .refine((request) => request.caseIds === undefined || request.split === undefined, 'give caseIds or split, not both')
    ]),
    EvaluationReportSchema
  )
} as const

export type Channels = typeof channels
export type ChannelName = keyof Channels
export type ChannelArgs<C extends ChannelName> = z.input<Channels[C]['args']>
export type ParsedChannelArgs<C extends ChannelName> = z.output<Channels[C]['args']>
export type ChannelResult<C extends ChannelName> = z.output<Channels[C]['result']>

export const CHANNEL_NAMES = Object.keys(channels) as ChannelName[]

export function isChannelName(value: unknown): value is ChannelName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(channels, value)
}
