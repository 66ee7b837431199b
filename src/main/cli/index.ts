/**
 * The `voxloop` command line (bin/voxloop.cjs loads the build of this file). Same services as the
 * desktop app, no Electron.
 */
import { version } from '../../../package.json'
import { VoxloopError } from '../../shared/errors'
import { ARCHITECTURE_DESCRIPTIONS, ARCHITECTURES, DEFAULT_ARCHITECTURE, DEFAULT_ARCHITECTURE_2D, DEFAULT_TRAINING_MINUTES, DEFAULT_TRAINING_MINUTES_2D, LOSS_DEFAULTS, LOSS_DESCRIPTIONS, LOSSES } from '../../shared/training'
import { parseBackendPreference } from '../../shared/backends'
import { DEFAULT_AUGMENTATION_PRESET } from '../../shared/augmentation'
import { formatAugmentationPresets } from './trainingReport'
import { LabelConflictRuleSchema } from '../../shared/project'
import { resolveAppDataDir } from '../app/appDataDir'
import { VoxloopApp } from '../app/VoxloopApp'
import { forkEngine } from '../engine/forkEngine'
import { runtimePaths } from '../runtimePaths'
import { backendsCommand } from './commands/backendsCommand'
import { infoCommand } from './commands/infoCommand'
import { exportCommand, importCommand } from './commands/projectCommands'
import { serveCommand } from './commands/serveCommand'
import { evaluateCommand, parseSplitFlag, trainCommand } from './commands/trainCommand'
import { crossvalCommand, crossvalFlags } from './commands/crossvalCommand'
import { predictCommand } from './commands/predictCommand'
import { exportModelCommand, requireOnnxFormat } from './commands/exportModelCommand'
import { parseSplitCommandInput, splitCommand } from './commands/splitCommand'
import { parseSpacingArgs, setSpacingCommand } from './commands/spacingCommand'
import { integerFlag, parseArgs, stringFlag } from './parseArgs'
import { parseCaseListFlag } from './caseListFlag'
import { BOOLEAN_FLAGS, checkCommandArgs } from './commandFlags'
import { parseModalityFlag } from './modalityFlag'
import { parseEnumFlag } from './enumFlag'
import { parseFourDFlag } from './fourDFlag'
import { parseExportFormatFlag } from './exportFormatFlag'
import { dcm2niixFiles, endSpareDcm2niixWorker, keepDcm2niixWarm } from '../../node/formats/dicom'

const USAGE = `Voxloop ${version}: label 3D medical volumes and train segmentation models, offline.

Usage: voxloop <command> [options]

Commands:
  info <file> [--json]                      dims, spacing, affine, orientation, datatype, intensities,
                                            and voxels per value for label maps, of a NIfTI file
  import <source> <project> [--modality CT|MR|other] [--series N|UID] [--4d channels|time]
         [--label-conflicts refuse|keep-project] [--json]
                                            import a folder of NIfTI files (or 3D Slicer's NRRD: .nrrd/.nhdr
                                            volumes, <name>.seg.nrrd segmentations naming the labels), an
                                            MSD or nnU-Net folder
                                            (dataset.json, imagesTr/, labelsTr/; nnU-Net's 2D form with
                                            "file_ending": ".png" gives one-slice cases, channel files
                                            <case>_0000.png, _0001… stacked) or a DICOM folder (searched recursively;
                                            each series becomes a case, or only the one --series names;
                                            a localizer only when named; unevenly spaced images are
                                            put on even slices, as the report says),
                                            or a folder of 2D images (PNG, JPEG, TIFF: images/ + masks/
                                            of the same names, or <name>_mask.png beside <name>.png; a
                                            classes.json/.txt or labels.json/.txt names the labels and
                                            maps colour masks), each a one-slice case (modality other)
                                            into a project (created if needed); a new project's modality
                                            comes from DICOM (0008,0060), dataset.json or the intensities
                                            (Hounsfield units → CT) unless --modality sets it; exits 1 and
                                            leaves no new project behind when nothing was imported.
                                            A 4D NIfTI's 4th dimension is channels when dataset.json lists
                                            that many; one whose header gives it a time unit and TR (or
                                            the time-series intent) is skipped as a time series unless
                                            --4d time makes each time point a case (<case>_t000, _t001, …,
                                            same affine; a label must then be 4D with the same time
                                            points) or --4d channels reads it as channels; other 4D
                                            files are read as channels. Label names and colours come
                                            from dataset.json, ITK-SNAP (*.label) or Slicer (*.ctbl)
                                            tables and the Caret table in label headers; tables that
                                            disagree stop the import, unless --label-conflicts
                                            keep-project keeps the project's names where a file's differ
  export <project> <folder> [--format nifti|seg-nrrd|msd|nnunet-v2|dicom-seg|png-masks] [--predictions] [--json]
                                            into a folder outside the project: nifti (default) writes
                                            labels as <case>.nii.gz plus labels.itksnap.txt (ITK-SNAP's
                                            label file); seg-nrrd writes 3D Slicer <case>.seg.nrrd
                                            (segment names, colours, label values); --predictions adds
                                            predictions/ to either; msd and nnunet-v2 write a dataset
                                            folder (dataset.json, imagesTr/, labelsTr/, imagesTs/) into
                                            a new or empty folder; --msd is short for --format msd;
                                            dicom-seg writes a DICOM Segmentation <case>.seg.dcm that
                                            references the source images (PACS, OHIF, Slicer) for each
                                            labelled case imported from DICOM, lists the others as
                                            skipped, and exits with status 1 when it wrote nothing;
                                            png-masks writes <image name>.png for each labelled
                                            one-slice case (2D image), encoded like its imported mask
                                            (0/255, ids or colours), skips the others with the reason,
                                            and exits with status 1 when it wrote nothing
  backends [--json] [--backend B]           compute backends available here and the one that would be chosen
  serve [--port N] [--backend B]            serve the app on 127.0.0.1 for a browser (prints the URL)
  train <project> [options] [--json]        train a segmentation model on the curated (done) cases in the
                                            compute engine: the project's fixed train split, validated on its
                                            validation split (its test split is never trained on); progress
                                            on stderr, validation metrics at the end
  predict <project|file.nii.gz> [--model <version|dir>] [--out <dir>] [--tta] [--json]
                                            predict a project's cases not done (default: active model), or one
                                            file (writes <out>/<case>.nii.gz and <case>.uncertainty.nii.gz;
                                            <out> by default voxloop-predictions/ beside the file); --out must
                                            be outside any project, and a prediction never replaces the image
                                            or a label map Voxloop did not write
  evaluate <project> --model <version> [--cases <id,id,…|file> | --split test|validation|train] [--json]
                                            predict the curated cases (or the cases listed; a file, or @file,
                                            holds ids separated by commas, spaces or lines; or the curated
                                            cases of one of the project's recorded splits) with a model
                                            version; per case and label Dice, IoU, HD95 and surface Dice
                                            (2 mm) in mm, volume ratio; --split test also keeps the report
                                            as the version's test figures (models/<version>/
                                            evaluation-test.json, shown in the model table)
  export-model <project> <version> --onnx [--out <file.onnx>] [--check <case>] [--json]
                                            a trained model version (its best epoch) as an ONNX file for
                                            another pipeline (onnxruntime, opset 17): input 'image' float32
                                            [batch, D, H, W, C] resampled and normalised as the file's
                                            metadata says, output 'probabilities' [batch, D, H, W, K]
                                            (docs/ONNX.md); written outside the project, by default
                                            <version>.onnx here; --check runs the file with onnxruntime-node
                                            on the case's centre patch against Voxloop's own prediction and
                                            exits 1 if a probability differs by more than 1e-4
  split <project> [<case> … --set train|validation|test] [--json]
                                            list the project's fixed splits (cases and curated cases per
                                            split), or move the cases named to one; moving a case in or out
                                            of the test split makes earlier test figures incomparable
  set-spacing <project> <sx> <sy> [--cases <id,id,…|file>] [--json]
                                            the pixel spacing in mm (0.001 to 100) of the one-slice cases
                                            imported from 2D images (all, or those --cases names): image
                                            and label headers are rewritten, voxels unchanged; refused,
                                            naming the cases, for a 3D case or one with unsaved edits
  crossval <project> --folds K [--minutes N] [--seed N] [--arch A] [--[no-]deep-supervision] [--json]
                                            K-fold cross-validation of the default training on the curated
                                            cases outside the test split: per fold and mean ± sd per label of
                                            Dice, HD95 and volume ratio; fold models go to <project>/crossval/

Training options (defaults are picked from the data, the same as the app's Train button):
  --minutes N         train for up to N minutes (default: the steps the data needs, 75 per training
                      case, at most ${DEFAULT_TRAINING_MINUTES} min, ${DEFAULT_TRAINING_MINUTES_2D} for 2D images); epochs follow from the
                      measured step time
  --epochs N          a fixed number of epochs instead of a time budget; each ends with validation
                      and a checkpoint
  --steps N           optimiser steps per epoch
  --patch N|DxHxW     patch size in voxels (multiples of 2^depth); for a 2D network N is one N×N
                      slice and D must be 1
  --batch N           patches per step
  --lr X              peak learning rate (Adam 3e-3, SGD 1e-2)
  --optimizer adam|sgd, --schedule poly|cosine|constant|plateau
  --plateau-patience N  with --schedule plateau: epochs without a better validation Dice before the
                      rate is halved (default a third of --patience, at least 2; floor peak × 1e-3)
  --loss L            the training loss (default dice-ce; a fine-tuned model keeps its base's):
${LOSSES.map((name) => `                        ${name}: ${LOSS_DESCRIPTIONS[name]}`).join('\n')}
  --dice-weight X, --ce-weight X   weights of the region term (Dice or Tversky) and of the voxel-wise
                      term (cross-entropy, BCE or focal), 0–100 (${LOSS_DEFAULTS.diceWeight} and ${LOSS_DEFAULTS.ceWeight})
  --tversky-alpha X, --tversky-beta X   tversky: weights of false positives and negatives (${LOSS_DEFAULTS.tverskyAlpha}, ${LOSS_DEFAULTS.tverskyBeta})
  --focal-gamma X, --focal-alpha X      focal: focusing exponent (${LOSS_DEFAULTS.focalGamma}) and foreground class weight
                      in (0, 1) (default none)
  --val F             share of cases held out for validation (0.2), drawn from the seed; only for
                      an explicit case list: by default the project's recorded validation split
                      (fixed across retrains) validates, and its test split is never trained on
  --architecture A, --arch A
                      the network (default ${DEFAULT_ARCHITECTURE}; ${DEFAULT_ARCHITECTURE_2D} for 2D images, which
                      only the 2D networks can train):
${ARCHITECTURES.map((name) => `                        ${name}: ${ARCHITECTURE_DESCRIPTIONS[name]}`).join('\n')}
  --no-deep-supervision  a plain U-Net or U-Net++ without deep supervision (the extra loss on the plain
                      U-Net's lower decoder outputs, on U-Net++'s nested decoders; on by default as in
                      nnU-Net); --deep-supervision turns it on
  --seed N, --patience N, --depth N, --base-filters N
  --augment P         augmentation preset (default ${DEFAULT_AUGMENTATION_PRESET}; --no-augment is none); each is this
                      list of transforms (chance per patch: parameters), docs/TRAINING.md:
${formatAugmentationPresets('                        ')}
  --quarter-turns     also random quarter turns in the H×W plane (off: most anatomy has one in-plane
                      orientation); with --mirror h or w, transposes too
  --mirror d,h,w      axes augmentation mirrors (default none: only for structures that look alike
                      mirrored); predict --tta mirrors the same axes
  --from <version>    fine-tune that model version
  --resume [version]  continue an interrupted run (the newest one if no version is given)
                      (a version, in every command: its folder's name, v0003-20261207-214258, or its number, v3)

Options:
  --backend B   auto (default), tfjs-node-gpu, webgpu, tfjs-node, wasm or cpu: auto takes the first
                available in that order (voxloop backends says why each is or is not); webgpu is
                the GPU of any vendor through Vulkan, D3D12 or Metal (the optional package
                'webgpu'), which auto passes over when its only adapter is a software one
  --version     print the version
  --help        this text
`

async function createApp(backendFlag: string | undefined): Promise<VoxloopApp> {
  return VoxloopApp.create({
    appVersion: version,
    appDataDir: resolveAppDataDir(),
    host: { mode: 'serve' },
    engine: { launcher: forkEngine, spec: { entry: runtimePaths.engineEntry } },
    ...(backendFlag !== undefined ? { backendOverride: parseBackendPreference(backendFlag) } : {}),
    log: (message) => process.stderr.write(`${message}\n`)
  })
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, BOOLEAN_FLAGS)
  if (args.flags.has('version')) {
    process.stdout.write(`${version}\n`)
    return 0
  }
  const [command] = args.positionals
  if (!command || args.flags.has('help')) {
    process.stdout.write(USAGE)
    return command || args.flags.has('help') ? 0 : 2
  }
  // Before anything is opened or started: a mistyped option fails at once and touches nothing.
  checkCommandArgs(command, args)
  const backend = stringFlag(args, 'backend')
  const json = args.flags.has('json')
  const [, first, second] = args.positionals
  const need = (value: string | undefined, what: string): string => {
    if (!value) throw new VoxloopError('INVALID_ARGUMENT', `voxloop ${command}: missing ${what} (see voxloop --help)`)
    return value
  }
  switch (command) {
    case 'info':
      await infoCommand(need(first, '<file>'), json)
      return 0
    case 'import': {
      const modality = parseModalityFlag(stringFlag(args, 'modality'))
      const series = stringFlag(args, 'series')
      const fourD = parseFourDFlag(stringFlag(args, '4d'))
      const labelConflicts = parseEnumFlag('label-conflicts', stringFlag(args, 'label-conflicts'), LabelConflictRuleSchema)
      const report = await importCommand(need(first, '<source>'), need(second, '<project>'), {
        json,
        ...(modality ? { modality } : {}),
        ...(series !== undefined ? { series } : {}),
        ...(fourD ? { fourD } : {}),
        ...(labelConflicts ? { labelConflicts } : {})
      })
      // Nothing imported is a failure a script must see (the CLI removed a project it had just made).
      return report.imported.length > 0 ? 0 : 1
    }
    case 'export': {
      // Checked before the project is opened, so a typo fails at once and touches nothing.
      const format = parseExportFormatFlag(stringFlag(args, 'format'), args.flags.has('msd'))
      const report = await exportCommand(need(first, '<project>'), need(second, '<folder>'), { format, predictions: args.flags.has('predictions'), json })
      // Only DICOM SEG and PNG masks can write nothing at all (the others always write a table or dataset.json): a script must see it.
      return (format === 'dicom-seg' || format === 'png-masks') && report.files.length === 0 ? 1 : 0
    }
    case 'backends': {
      const app = await createApp(backend)
      try {
        await backendsCommand(app.engine, json)
      } finally {
        await app.dispose()
      }
      return 0
    }
    case 'serve': {
      const port = integerFlag(args, 'port', { min: 0, max: 65535 }) ?? 0
      const app = await createApp(backend)
      // A server lives on: a warmed DICOM converter waits for its imports (docs/DICOM.md).
      keepDcm2niixWarm(dcm2niixFiles())
      try {
        await serveCommand(app, port)
      } finally {
        // Ended, not left to its unref: this process exits when nothing is left running.
        await endSpareDcm2niixWorker()
        await app.dispose()
      }
      return 0
    }
    case 'train': {
      const app = await createApp(backend)
      try {
        const result = await trainCommand(app, need(first, '<project>'), args, { json })
        return result.status === 'failed' ? 1 : result.status === 'cancelled' ? 130 : 0
      } finally {
        await app.dispose()
      }
    }
    case 'evaluate': {
      const version = stringFlag(args, 'model')
      // Read before the engine starts, so a bad list fails at once.
      const cases = await parseCaseListFlag(stringFlag(args, 'cases'))
      const split = parseSplitFlag(stringFlag(args, 'split'))
      if (cases && split) throw new VoxloopError('INVALID_ARGUMENT', 'voxloop evaluate: give --cases or --split, not both')
      const app = await createApp(backend)
      try {
        await evaluateCommand(app, need(first, '<project>'), need(version, '--model <version>'), json, cases ?? (split ? { split } : undefined))
      } finally {
        await app.dispose()
      }
      return 0
    }
    case 'split': {
      const input = parseSplitCommandInput(args.positionals.slice(2), stringFlag(args, 'set'))
      await splitCommand(need(first, '<project>'), input, { json })
      return 0
    }
    case 'set-spacing': {
      // Checked before the project is opened, so a typo fails at once and touches nothing.
      const spacing = parseSpacingArgs(args.positionals.slice(2))
      const cases = await parseCaseListFlag(stringFlag(args, 'cases'))
      await setSpacingCommand(need(first, '<project>'), spacing, cases, { json })
      return 0
    }
    case 'crossval': {
      const flags = crossvalFlags(args)
      const app = await createApp(backend)
      try {
        await crossvalCommand(app, need(first, '<project>'), flags, json)
      } catch (error) {
        // Ctrl+C: the fold under way was cancelled; exit as `voxloop train` does.
        if (!(error instanceof VoxloopError && error.code === 'CANCELLED')) throw error
        process.stderr.write(`voxloop crossval: ${error.message}; cross-validation stopped\n`)
        return 130
      } finally {
        await app.dispose()
      }
      return 0
    }
    case 'predict': {
      const app = await createApp(backend)
      try {
        return await predictCommand(app, need(first, '<project|file.nii.gz>'), {
          model: stringFlag(args, 'model'),
          out: stringFlag(args, 'out'),
          tta: args.flags.has('tta'),
          json
        })
      } finally {
        await app.dispose()
      }
    }
    case 'export-model': {
      // Checked before the engine starts, so that a typo fails at once.
      requireOnnxFormat(args.flags.has('onnx'))
      const project = need(first, '<project>')
      const modelVersion = need(second, '<version>')
      const out = stringFlag(args, 'out')
      const check = stringFlag(args, 'check')
      const app = await createApp(backend)
      try {
        return await exportModelCommand(app, project, modelVersion, { onnx: true, out, check, json, appVersion: version })
      } finally {
        await app.dispose()
      }
    }
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`)
      return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    const message = error instanceof VoxloopError ? `${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error)
    process.stderr.write(`voxloop: ${message}\n`)
    process.exitCode = 1
  }
)
