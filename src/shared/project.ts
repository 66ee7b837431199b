import { z } from 'zod'

/**
 * The project folder's metadata: what `voxloop.json`, `cases.json` and `audit.jsonl` hold, and the
 * summaries the renderer shows. Pure zod, shared by main, the contract and the renderer.
 * On-disk layout and crash-safety: docs/DATASTORE.md.
 */

/** Bumped when the on-disk layout changes in a way older readers cannot follow. */
export const PROJECT_FORMAT_VERSION = 1

/**
 * Case ids become file names (`images/<id>.nii.gz`), so they are strict: a letter or digit first,
 * then letters, digits, `.`, `_`, `-`; at most 128 characters. No separators, no `..` segments.
 */
export const CASE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

export const MODALITIES = ['CT', 'MR', 'other'] as const
export const ModalitySchema = z.enum(MODALITIES)
export type Modality = z.infer<typeof ModalitySchema>

/**
 * Where the project's modality came from, strongest first: the user (`voxloop import --modality`,
 * the project page, a project created with one), DICOM (0008,0060), an MSD/nnU-Net dataset.json,
 * the imported images' intensities (modalityGuess.ts), or the default (MR) with nothing to go on.
 * Only a 'user' modality is kept when data is imported into an empty project; the others are
 * re-decided from the data (rule: src/main/services/project/chooseModality.ts).
 */
export const MODALITY_SOURCES = ['user', 'dicom', 'dataset.json', 'intensities', 'default'] as const
export const ModalitySourceSchema = z.enum(MODALITY_SOURCES)
export type ModalitySource = z.infer<typeof ModalitySourceSchema>

/** unlabeled → predicted → in-review → done (curated). Only `done` cases train by default. */
export const CASE_STATUSES = ['unlabeled', 'predicted', 'in-review', 'done'] as const
export const CaseStatusSchema = z.enum(CASE_STATUSES)
export type CaseStatus = z.infer<typeof CaseStatusSchema>

/**
 * Which part of the project's evaluation a case belongs to: `train` (the model learns from it),
 * `validation` (picks the best epoch and stops early; never learned from) or `test` (never seen by
 * training or model selection, for `voxloop evaluate --split test`). Assigned once, when a curated
 * case is first used by a default training run (rule: src/main/services/project/caseSplits.ts), and
 * kept across retrains so that two model versions are scored on the same cases.
 */
export const CASE_SPLITS = ['train', 'validation', 'test'] as const
export const CaseSplitSchema = z.enum(CASE_SPLITS)
export type CaseSplit = z.infer<typeof CaseSplitSchema>

/** Device names Windows reserves with or without an extension ("CON.nii.gz" is CON). */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i

/**
 * Whether `id` can name a case's files on every platform: the pattern, no "..", no Windows device
 * name, and not ending in ".uncertainty" (predictions/<id>.uncertainty.nii.gz belongs to case <id>).
 */
export function isValidCaseId(id: string): boolean {
  if (!CASE_ID_PATTERN.test(id) || id.includes('..') || /\.uncertainty$/i.test(id)) return false
  return !WINDOWS_RESERVED.test(id.split('.')[0] ?? id)
}

export const CaseIdSchema = z
  .string()
  .refine(isValidCaseId, 'case id: a letter or digit, then letters, digits, ".", "_" or "-" (at most 128, no "..")')

/** Label ids are voxel values: 1..65535 (0 is background and never in the table). */
export const LabelIdSchema = z.number().int().min(1).max(65535)

export const LabelColorSchema = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'colour must be "#rrggbb"')

export const LabelDefSchema = z.object({
  id: LabelIdSchema,
  name: z.string().trim().min(1).max(100),
  color: LabelColorSchema
})
export type LabelDef = z.infer<typeof LabelDefSchema>

/** A label table: unique ids and unique names. */
export const LabelTableSchema = z
  .array(LabelDefSchema)
  .max(65535)
  .superRefine((labels, ctx) => {
    const ids = new Set<number>()
    const names = new Set<string>()
    for (const label of labels) {
      if (ids.has(label.id)) ctx.addIssue({ code: 'custom', message: `label id ${label.id} appears twice` })
      const name = label.name.toLowerCase()
      if (names.has(name)) ctx.addIssue({ code: 'custom', message: `label name "${label.name}" appears twice` })
      ids.add(label.id)
      names.add(name)
    }
  })

/** Project settings: open-ended JSON so later features add keys without a format bump. */
export const ProjectSettingsSchema = z.record(z.string(), z.json())
export type ProjectSettings = z.infer<typeof ProjectSettingsSchema>

/** `voxloop.json`: rewritten only when the name, label table, channels or settings change. */
export const ProjectManifestSchema = z.object({
  formatVersion: z.number().int().min(1),
  name: z.string().trim().min(1).max(200),
  modality: ModalitySchema,
  /** Absent in projects made before it was recorded: treated as not set by the user. */
  modalitySource: ModalitySourceSchema.optional(),
  /** One name per image channel (e.g. ['FLAIR', 'T1w', 't1gd', 'T2w']); length = channels per image. */
  channelNames: z.array(z.string().min(1).max(100)).min(1).max(64),
  labels: LabelTableSchema,
  createdAt: z.string(),
  settings: ProjectSettingsSchema.default({})
})
export type ProjectManifest = z.infer<typeof ProjectManifestSchema>

const Vec3Schema = z.tuple([z.number(), z.number(), z.number()])
const DimsSchema = z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)])

/** The last model output for a case: which version, how unsure (the case score), when. */
export const PredictionInfoSchema = z.object({
  modelVersion: z.string(),
  /** Case score: mean normalised entropy over the voxels that matter (higher = less sure). */
  uncertainty: z.number(),
  predictedAt: z.string(),
  tta: z.boolean().default(false)
})
export type PredictionInfo = z.infer<typeof PredictionInfoSchema>

/** What accepting a corrected prediction recorded: the correction effort and the proposal's quality. */
export const ReviewInfoSchema = z.object({
  modelVersion: z.string(),
  voxelsChanged: z.number().int().min(0),
  perLabel: z.array(z.object({ labelId: z.number().int(), added: z.number().int().min(0), removed: z.number().int().min(0) })),
  /** Dice of the proposal against the accepted label, per label id. */
  dice: z.record(z.string(), z.number()),
  /** How `dice` was computed (activeLearning/efficiencyCurve.ts REVIEW_DICE_RULE); absent in records made before issue #15's Dice fix. */
  diceRule: z.number().int().min(1).optional(),
  /** Active time spent on the case (idle gaps capped). */
  seconds: z.number().min(0),
  curatedAt: z.string()
})
export type ReviewInfo = z.infer<typeof ReviewInfoSchema>

/**
 * Where a case imported from DICOM came from: the identifiers and descriptions of its series as
 * dcm2niix read them (its BIDS sidecar). Kept in cases.json on this machine only, for the user to
 * tell cases apart and to trace them back to the archive; nothing sends them anywhere, and case
 * ids and file names are never made from the patient fields. Every field is optional: anonymised
 * exports lack most of them.
 */
const DicomText = z.string().max(1024).optional()
export const DicomSourceSchema = z.object({
  /** (0008,0060), e.g. 'CT', 'MR', 'PT'. */
  modality: DicomText,
  manufacturer: DicomText,
  manufacturerModel: DicomText,
  patientName: DicomText,
  patientId: DicomText,
  /** ISO date (YYYY-MM-DD). */
  patientBirthDate: DicomText,
  patientSex: DicomText,
  studyInstanceUid: DicomText,
  studyId: DicomText,
  studyDescription: DicomText,
  accessionNumber: DicomText,
  seriesInstanceUid: DicomText,
  seriesNumber: z.number().int().optional(),
  seriesDescription: DicomText,
  protocolName: DicomText,
  /** ISO date and time of the acquisition. */
  acquisitionDateTime: DicomText,
  /** (0008,0008) Image Type, e.g. ['ORIGINAL', 'PRIMARY', 'LOCALIZER']. */
  imageType: z.array(z.string().max(64)).max(16).optional(),
  /** DICOM files that made the volume. */
  files: z.number().int().min(0).optional(),
  /** The converter and its version, e.g. 'dcm2niix v1.0.20241231 (WebAssembly)'. */
  converter: z.string().max(200)
})
export type DicomSource = z.infer<typeof DicomSourceSchema>

/** One volume of a DICOM folder as the import would convert it (a series, or an echo or phase of one), to choose from. */
export const DicomSeriesEntrySchema = z.object({
  /**
   * What projects:import takes as `series` to import this one: dcm2niix's name for the volume (the
   * series number and a suffix, e.g. '4', '4_e2', '13a'). Not the SeriesInstanceUID, which real
   * exports share between series (dcm_qa_ts: nine series, one UID).
   */
  choice: z.string(),
  seriesNumber: z.number().int().optional(),
  /** (0020,000E): shown where there is no series number, which anonymised exports drop. */
  seriesInstanceUid: DicomText,
  /** Series description, else protocol name. */
  description: DicomText,
  modality: DicomText,
  dims: DimsSchema,
  /** Of its first volume: more than 1 is a 4D series, which the import skips. */
  timePoints: z.number().int().min(1),
  files: z.number().int().min(0).optional()
})
export type DicomSeriesEntry = z.infer<typeof DicomSeriesEntrySchema>

export const DicomSeriesListSchema = z.object({
  source: z.string(),
  series: z.array(DicomSeriesEntrySchema),
  /** Files that are not DICOM images the converter could read (the import reports each). */
  skippedFiles: z.number().int().min(0)
})
export type DicomSeriesList = z.infer<typeof DicomSeriesListSchema>

/** What a folder holds, for offering to make a project of it when it is not one (projects:inspectFolder). */
export const FolderContentsSchema = z.object({
  folder: z.string(),
  /** 'project': it has voxloop.json; 'other': nothing Voxloop can import at its top level. */
  kind: z.enum(['project', 'msd', 'nifti', 'dicom', 'other']),
  /** Cases an import would try (MSD or NIfTI), or DICOM files found (sub-folders included). */
  count: z.number().int().min(0),
  /** Where a new project for it goes by default: beside it, `<folder>-voxloop`. */
  suggestedProjectFolder: z.string()
})
export type FolderContents = z.infer<typeof FolderContentsSchema>

/**
 * How a 2D mask stored its labels, which the PNG mask export writes back: 'binary-255' (0 and 255,
 * one label), 'ids' (the pixel value is the label id), 'colours' (RGB colours named by a class list).
 */
export const MASK_ENCODINGS = ['binary-255', 'ids', 'colours'] as const
export const MaskEncodingSchema = z.enum(MASK_ENCODINGS)
export type MaskEncoding = z.infer<typeof MaskEncodingSchema>

/** Where a one-slice case imported from a 2D image (PNG, JPEG, TIFF) came from, for the PNG mask export. */
export const Image2dSourceSchema = z.object({
  /** The image's file name as imported, without its folder: the exported mask is `<its stem>.png`. */
  file: z.string().min(1).max(1024),
  /** How the imported mask stored its labels; null when the image came without a mask. */
  maskEncoding: MaskEncodingSchema.nullable(),
  /** For 'colours': each label id's RGB colour in the source mask (background included when the class list names it). */
  maskColours: z
    .array(z.object({ id: z.number().int().min(0).max(65535), color: z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]) }))
    .max(65536)
    .optional()
})
export type Image2dSource = z.infer<typeof Image2dSourceSchema>

/** One case's entry in `cases.json`. Label voxel counts are keyed by label id (as a string). */
export const CaseRecordSchema = z.object({
  id: CaseIdSchema,
  status: CaseStatusSchema,
  dims: DimsSchema,
  /** mm per voxel along i, j, k. */
  spacing: Vec3Schema,
  channels: z.number().int().min(1),
  /** Where the image came from (absolute path or description), for the user's reference only. */
  sourceFile: z.string(),
  importedAt: z.string(),
  /** Whether labels/<id>.nii.gz exists. */
  hasLabel: z.boolean(),
  /** Time of the newest label edit folded into labels/, or null if never edited. */
  lastEditedAt: z.string().nullable(),
  /** Voxel count per non-zero label value in the saved label. */
  labelVoxels: z.record(z.string(), z.number().int().min(0)),
  prediction: PredictionInfoSchema.nullable().default(null),
  review: ReviewInfoSchema.nullable().default(null),
  /** The case's recorded split, or null before a training run first used it (absent in older cases.json: null). */
  split: CaseSplitSchema.nullable().default(null),
  /** Set for cases imported from a DICOM series; absent otherwise. */
  dicom: DicomSourceSchema.optional(),
  /** Set for one-slice cases imported from a 2D image; absent otherwise (and in older cases.json). */
  image2d: Image2dSourceSchema.optional()
})
export type CaseRecord = z.infer<typeof CaseRecordSchema>

/** `cases.json`: per-case metadata, written atomically on import, save and status change. */
export const CaseIndexSchema = z.object({
  formatVersion: z.number().int().min(1),
  cases: z.array(CaseRecordSchema)
})
export type CaseIndex = z.infer<typeof CaseIndexSchema>

export const LabelStatSchema = z.object({
  labelId: z.number().int().min(1),
  voxels: z.number().int().min(0),
  /** voxels × voxel volume (mm³) / 1000. */
  volumeMl: z.number().min(0)
})
export type LabelStat = z.infer<typeof LabelStatSchema>

/** What the case list shows: the stored record plus the state of unsaved edits. */
export const CaseSummarySchema = z.object({
  id: CaseIdSchema,
  status: CaseStatusSchema,
  dims: DimsSchema,
  spacing: Vec3Schema,
  channels: z.number().int().min(1),
  sourceFile: z.string(),
  importedAt: z.string(),
  hasLabel: z.boolean(),
  hasPrediction: z.boolean(),
  /** True when journalled edits are not yet folded into labels/<id>.nii.gz. */
  hasUnsavedEdits: z.boolean(),
  lastEditedAt: z.string().nullable(),
  /** Per non-zero label value in the current label (saved file + unsaved edits), by label id. */
  labelStats: z.array(LabelStatSchema),
  prediction: PredictionInfoSchema.nullable(),
  review: ReviewInfoSchema.nullable(),
  /** train / validation / test, or null while no training run has used the case. */
  split: CaseSplitSchema.nullable().default(null)
})
export type CaseSummary = z.infer<typeof CaseSummarySchema>

export const SkippedFileSchema = z.object({
  file: z.string(),
  reason: z.string()
})
export type SkippedFile = z.infer<typeof SkippedFileSchema>

/**
 * What the 4th dimension of a 4D NIfTI image holds, when the user says so (`voxloop import --4d`):
 * channels (sequences of one image, kept as one multi-channel case) or time (each time point
 * becomes a case of its own). Without it the import decides per file (fourthDimension.ts).
 */
export const FourDImportSchema = z.enum(['channels', 'time'])
/**
 * When an import's label tables disagree with the project's (importLabels.ts): 'refuse' (default)
 * stops the import; 'keep-project' keeps the project's names where they disagree.
 */
export const LabelConflictRuleSchema = z.enum(['refuse', 'keep-project'])
export type LabelConflictRule = z.infer<typeof LabelConflictRuleSchema>
export type FourDImport = z.infer<typeof FourDImportSchema>

export const ImportedCaseSchema = z.object({
  caseId: CaseIdSchema,
  imageFile: z.string(),
  labelFile: z.string().nullable()
})
export type ImportedCase = z.infer<typeof ImportedCaseSchema>

/** An image imported with its header fixed so that other tools can read the stored copy; voxels untouched. */
export const RepairedFileSchema = z.object({
  file: z.string(),
  /** What was fixed, one entry per fix. */
  repairs: z.array(z.string())
})
export type RepairedFile = z.infer<typeof RepairedFileSchema>

/** The modality an import chose or kept, and why (shown by the CLI and the import report). */
export const ModalityChoiceSchema = z.object({
  modality: ModalitySchema,
  source: ModalitySourceSchema,
  /** One sentence: what decided it. */
  reason: z.string(),
  /** True when this import set the project's modality; false when the project kept its own. */
  applied: z.boolean(),
  /** The images' intensities disagree with the modality kept or chosen; null when they agree or say nothing. */
  warning: z.string().nullable()
})
export type ModalityChoice = z.infer<typeof ModalityChoiceSchema>

export const ImportReportSchema = z.object({
  source: z.string(),
  format: z.enum(['msd', 'folder', 'dicom']),
  imported: z.array(ImportedCaseSchema),
  /** Files not imported, each with the reason. */
  skipped: z.array(SkippedFileSchema),
  /** Imported images (also in `imported`) whose stored copy had its header repaired. */
  repaired: z.array(RepairedFileSchema),
  /** Labels added to the project's table (from dataset.json or values found in label files). */
  labelsAdded: z.array(LabelDefSchema),
  /** The project's modality after the import and where it came from; null when nothing was imported. */
  modality: ModalityChoiceSchema.nullable().default(null),
  /** Facts the user should know that are neither skips nor repairs (e.g. "pixel spacing unknown in 3 file(s): 1 mm assumed"). */
  notes: z.array(z.string()).optional()
})
export type ImportReport = z.infer<typeof ImportReportSchema>

export const RecoveredCaseSchema = z.object({
  caseId: z.string(),
  /** Journal records replayed. */
  edits: z.number().int().min(0),
  /** Voxels whose value differs from the label file as it was before recovery. */
  voxelsChanged: z.number().int().min(0),
  /** Bytes at the end of the journal that did not form a complete, checksummed record (a torn write). */
  droppedBytes: z.number().int().min(0)
})
export type RecoveredCase = z.infer<typeof RecoveredCaseSchema>

export const RecoveryReportSchema = z.object({
  /** Cases whose unsaved edits were replayed from the journal and saved. */
  recovered: z.array(RecoveredCaseSchema),
  /** Journal files that could not be replayed (unknown case, unreadable), left in journal/ untouched. */
  problems: z.array(SkippedFileSchema),
  /** Images found in images/ without a record in cases.json (added by other tools or an interrupted import). */
  adoptedCases: z.array(z.string()),
  /** Records in cases.json whose image file is gone; dropped from the index. */
  missingImages: z.array(z.string()),
  /** True when cases.json was missing or unreadable and was rebuilt from images/ and labels/. */
  caseIndexRebuilt: z.boolean()
})
export type RecoveryReport = z.infer<typeof RecoveryReportSchema>

/** Bounds of a 2D case's pixel spacing in mm (ProjectStore.setPixelSpacing): a micrometre to 10 cm per pixel. */
export const PIXEL_SPACING_MIN_MM = 0.001
export const PIXEL_SPACING_MAX_MM = 100
export const PixelSpacingMmSchema = z.number().finite().min(PIXEL_SPACING_MIN_MM).max(PIXEL_SPACING_MAX_MM)

/** `cases:setPixelSpacing`: [x (column), y (row)] in mm for the named one-slice 2D cases, or for every one when none are named. */
export const SetPixelSpacingRequestSchema = z
  .object({
    spacingMm: z.tuple([PixelSpacingMmSchema, PixelSpacingMmSchema]),
    caseIds: z.array(CaseIdSchema).min(1).max(100_000).optional()
  })
  .strict()
export type SetPixelSpacingRequest = z.infer<typeof SetPixelSpacingRequestSchema>

/**
 * What an export writes (docs/DATASTORE.md, "Import and export"): `nifti` labels as `<case>.nii.gz`
 * with an ITK-SNAP label description file, `seg-nrrd` 3D Slicer segmentations `<case>.seg.nrrd`,
 * `msd` a Medical Segmentation Decathlon folder, `nnunet-v2` an nnU-Net v2 raw dataset folder,
 * `dicom-seg` DICOM Segmentation objects `<case>.seg.dcm` for cases imported from DICOM,
 * `png-masks` one PNG mask per one-slice case, named and encoded like the 2D mask it was imported with.
 */
export const EXPORT_FORMATS = ['nifti', 'seg-nrrd', 'msd', 'nnunet-v2', 'dicom-seg', 'png-masks'] as const
export const ExportFormatSchema = z.enum(EXPORT_FORMATS)
export type ExportFormat = z.infer<typeof ExportFormatSchema>

export const ExportReportSchema = z.object({
  destination: z.string(),
  /** Files written, relative to the destination. */
  files: z.array(z.string()),
  skipped: z.array(SkippedFileSchema)
})
export type ExportReport = z.infer<typeof ExportReportSchema>

/** Voxels that changed per label value in one save: gained = became this label, lost = stopped being it. */
export const LabelChangeSchema = z.object({
  labelId: z.number().int().min(0),
  gained: z.number().int().min(0),
  lost: z.number().int().min(0)
})
export type LabelChange = z.infer<typeof LabelChangeSchema>

const AuditBase = {
  at: z.string(),
  /** Who or what: 'user', 'import', 'recovery', 'model:<version>'. */
  actor: z.string()
}

/** One line of `audit.jsonl`. Append-only; readers skip a torn last line. */
export const AuditEntrySchema = z.discriminatedUnion('type', [
  z.object({
    ...AuditBase,
    type: z.literal('project-created'),
    name: z.string()
  }),
  z.object({
    ...AuditBase,
    type: z.literal('import'),
    source: z.string(),
    cases: z.array(z.object({ caseId: z.string(), imageFile: z.string(), labelFile: z.string().nullable() })),
    skipped: z.number().int().min(0)
  }),
  z.object({
    ...AuditBase,
    type: z.literal('label-save'),
    caseId: z.string(),
    edits: z.number().int().min(0),
    voxelsChanged: z.number().int().min(0),
    changes: z.array(LabelChangeSchema)
  }),
  z.object({
    ...AuditBase,
    type: z.literal('label-discard'),
    caseId: z.string(),
    edits: z.number().int().min(0)
  }),
  z.object({
    ...AuditBase,
    type: z.literal('status'),
    caseId: z.string(),
    from: CaseStatusSchema,
    to: CaseStatusSchema
  }),
  z.object({
    ...AuditBase,
    type: z.literal('label-table'),
    labels: z.array(LabelDefSchema),
    removedIds: z.array(z.number().int()),
    /** Voxels reset to background per case because their label was removed. */
    voxelsCleared: z.record(z.string(), z.number().int().min(0))
  }),
  z.object({
    ...AuditBase,
    type: z.literal('prediction'),
    caseId: z.string(),
    modelVersion: z.string()
  }),
  z.object({
    ...AuditBase,
    type: z.literal('split'),
    /** Cases whose split was set: by the assignment rule (`from` null) or by the user. */
    cases: z.array(z.object({ caseId: z.string(), from: CaseSplitSchema.nullable(), to: CaseSplitSchema }))
  }),
  z.object({
    ...AuditBase,
    type: z.literal('pixel-spacing'),
    /** One-slice 2D cases whose image and label headers were rewritten to `spacingMm` (voxels unchanged). */
    cases: z.array(z.object({ caseId: z.string(), from: z.tuple([z.number(), z.number()]) })),
    spacingMm: z.tuple([z.number(), z.number()])
  }),
  z.object({
    ...AuditBase,
    type: z.literal('model-version'),
    modelVersion: z.string(),
    metrics: z.record(z.string(), z.number()).optional()
  })
])
export type AuditEntry = z.infer<typeof AuditEntrySchema>
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
/** An audit entry before the store stamps its time. */
export type AuditEntryInput = DistributiveOmit<AuditEntry, 'at'>

// Label colours live in labelColors.ts (a generator for every id); re-exported for existing importers.
export { DEFAULT_LABEL_COLORS, defaultLabelColor } from './labelColors'

/** mL of `voxels` voxels of the given spacing (mm). */
export function voxelsToMl(voxels: number, spacing: readonly [number, number, number]): number {
  return (voxels * Math.abs(spacing[0] * spacing[1] * spacing[2])) / 1000
}
