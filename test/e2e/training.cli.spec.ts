/**
 * `voxloop train` and `voxloop evaluate` against the built CLI, on five real MR cases of MSD Task04
 * (hippocampus) with a tiny budget: a two-level U-Net with 4 filters, 16³ patches, a few steps.
 * The point is the command's behaviour (progress, JSON, audit, Ctrl+C and --resume), not the Dice.
 */
import { execFile, spawn } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { expect, test } from '@playwright/test'
import { SHARED_DATA_DIR } from './fixtures/sharedData'

const run = promisify(execFile)
const repoRoot = path.resolve(__dirname, '../..')
const CASES = ['hippocampus_001', 'hippocampus_003', 'hippocampus_004', 'hippocampus_006', 'hippocampus_007']
const TINY = ['--steps', '3', '--patch', '16', '--batch', '2', '--depth', '2', '--base-filters', '4', '--seed', '5', '--no-augment']

let tmp: string
let project: string
let env: NodeJS.ProcessEnv

const voxloop = (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
  run(process.execPath, [path.join(repoRoot, 'bin', 'voxloop.cjs'), ...args], { cwd: repoRoot, env, maxBuffer: 16 << 20 })

test.beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'voxloop-train-cli-'))
  env = { ...process.env, VOXLOOP_HOME: path.join(tmp, 'home') }
  const source = path.join(SHARED_DATA_DIR, 'labeled', 'msd_task04_hippocampus')
  const subset = path.join(tmp, 'subset')
  await mkdir(path.join(subset, 'imagesTr'), { recursive: true })
  await mkdir(path.join(subset, 'labelsTr'), { recursive: true })
  const descriptor = JSON.parse(await readFile(path.join(source, 'dataset.json'), 'utf8')) as Record<string, unknown>
  descriptor.training = CASES.map((id) => ({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` }))
  descriptor.numTraining = CASES.length
  await writeFile(path.join(subset, 'dataset.json'), JSON.stringify(descriptor))
  for (const id of CASES) {
    for (const folder of ['imagesTr', 'labelsTr']) await copyFile(path.join(source, folder, `${id}.nii.gz`), path.join(subset, folder, `${id}.nii.gz`))
  }
  project = path.join(tmp, 'project')
  await voxloop('import', subset, project)
})

test.afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

interface TrainJson {
  version: string
  status: string
  epochsCompleted: number
  bestEpoch: number
  metrics: { meanForegroundDice: number; perLabel: Array<{ labelId: number; name: string; dice: number }> }
}

let trained: TrainJson

test('train --json trains in the engine, shows progress on stderr and prints the final metrics with per-label Dice', async () => {
  const { stdout, stderr } = await voxloop('train', project, '--epochs', '2', ...TINY, '--json')
  trained = JSON.parse(stdout) as TrainJson
  expect(trained).toMatchObject({ status: 'completed', epochsCompleted: 2 })
  expect(trained.metrics.perLabel.map((l) => [l.labelId, l.name])).toEqual([
    [1, 'Anterior'],
    [2, 'Posterior']
  ])
  for (const label of trained.metrics.perLabel) expect(label.dice).toBeGreaterThanOrEqual(0)
  expect(stderr).toContain(`Training model ${trained.version} on 4 case(s), validating on 1`)
  // Before the first step, one line per case read (stderr is a pipe here): the four training cases
  // measured, then all five prepared, each named as it starts.
  expect(stderr).toMatch(/^Measuring cases 1\/4 \(hippocampus_\d{3}\)…$/m)
  for (let n = 1; n <= 5; n++) expect(stderr).toMatch(new RegExp(`^Preparing cases ${n}/5 \\(hippocampus_\\d{3}\\)…$`, 'm'))
  expect(stderr).toMatch(/^Prepared 5 case\(s\)/m)
  expect(stderr.indexOf('Prepared 5 case(s)')).toBeLessThan(stderr.indexOf(`Training model ${trained.version}`))
  expect(stderr).toContain('batch 2 of 16×16×16 voxels')
  // Each label's Dice, then its predicted / reference volume (×ratio; absent when a label has no reference voxels).
  expect(stderr).toMatch(/epoch 1\/2 .*loss \d\.\d+ .*val Dice \d\.\d+ \(Anterior \d\.\d+( ×\d+\.\d+)?, Posterior \d\.\d+( ×\d+\.\d+)?\)/)
  expect(stderr).toMatch(/val Dice .*Anterior \d\.\d+ ×\d+\.\d+/)
  expect(stderr).toMatch(/epoch 2\/2 /)

  const runJson = JSON.parse(await readFile(path.join(project, 'models', trained.version, 'run.json'), 'utf8')) as { status: string }
  expect(runJson.status).toBe('completed')
  const audit = (await readFile(path.join(project, 'audit.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { type: string; modelVersion?: string })
  expect(audit.filter((entry) => entry.type === 'model-version').map((entry) => entry.modelVersion)).toEqual([trained.version])
})

test('evaluate prints Dice per case and the mean per label on the curated cases', async () => {
  const json = JSON.parse((await voxloop('evaluate', project, '--model', trained.version, '--json')).stdout) as {
    cases: Array<{ caseId: string; perLabel: Array<{ dice: number }> }>
    mean: { perLabel: Array<{ name: string; dice: number }> }
  }
  expect(json.cases.map((c) => c.caseId)).toEqual(CASES)
  expect(json.mean.perLabel.map((l) => l.name)).toEqual(['Anterior', 'Posterior'])
  const text = (await voxloop('evaluate', project, '--model', trained.version)).stdout
  expect(text).toContain(`Model ${trained.version} on 5 case(s)`)
  // One row per case and label (Dice, IoU, HD95, NSD, volume ratio), then the means per label.
  expect(text).toMatch(/hippocampus_001\s+Anterior\s+\d\.\d{4}\s+\d\.\d{4}\s+\d+\.\d{2}\s+\d\.\d{4}/)
  expect(text).toMatch(/\nmean of labels\s+\d\.\d{4}/)
  const chosen = (await voxloop('evaluate', project, '--model', trained.version, '--cases', 'hippocampus_001', '--json')).stdout
  expect((JSON.parse(chosen) as { cases: Array<{ caseId: string }> }).cases.map((c) => c.caseId)).toEqual(['hippocampus_001'])

  // --split: the project's fixed validation split, recorded when train first used the cases.
  const records = (JSON.parse(await readFile(path.join(project, 'cases.json'), 'utf8')) as { cases: Array<{ id: string; split: string | null }> }).cases
  const validation = records.filter((c) => c.split === 'validation').map((c) => c.id)
  expect(validation).toHaveLength(1)
  const onSplit = (await voxloop('evaluate', project, '--model', trained.version, '--split', 'validation', '--json')).stdout
  expect((JSON.parse(onSplit) as { cases: Array<{ caseId: string }> }).cases.map((c) => c.caseId)).toEqual(validation)
  // Five cases are too few for a test split; the command says so.
  await expect(voxloop('evaluate', project, '--model', trained.version, '--split', 'test')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no curated cases in the test split') })
})

test('predict a file: beside it in voxloop-predictions/ by default, never over the image or a reference label; the model by its number', async () => {
  // The subset's own folders: an image with its reference label in labelsTr/, as a dataset keeps them.
  const image = path.join(tmp, 'subset', 'imagesTr', 'hippocampus_004.nii.gz')
  const reference = path.join(tmp, 'subset', 'labelsTr', 'hippocampus_004.nii.gz')
  const before = await Promise.all([readFile(image), readFile(reference)])
  const modelDir = path.join(project, 'models', `v${Number(trained.version.slice(1, 5))}`)
  const { stdout } = await voxloop('predict', image, '--model', modelDir, '--json')
  const out = path.join(tmp, 'subset', 'imagesTr', 'voxloop-predictions')
  expect(JSON.parse(stdout)).toMatchObject({ model: trained.version, labels: path.join(out, 'hippocampus_004.nii.gz'), uncertaintyMap: path.join(out, 'hippocampus_004.uncertainty.nii.gz') })
  for (const [folder, message] of [
    [path.dirname(image), 'would replace the image being predicted'],
    [path.dirname(reference), 'exists and is not a label map Voxloop wrote'],
    [path.join(project, 'images'), 'is inside the Voxloop project']
  ] as const) {
    await expect(voxloop('predict', image, '--model', modelDir, '--out', folder)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(message) })
  }
  expect(await Promise.all([readFile(image), readFile(reference)])).toEqual(before)
})

test('Ctrl+C cancels after the current step; --resume continues the run to the end', async () => {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'voxloop.cjs'), 'train', project, '--epochs', '3', ...TINY], { cwd: repoRoot, env })
  let stderr = ''
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  await new Promise<void>((resolve) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      // Interrupt once the first epoch's checkpoint is written.
      if (/epoch 1\/3 .*val Dice/.test(stderr)) resolve()
    })
  })
  child.kill('SIGINT')
  expect(await exited).toBe(130)
  expect(stderr).toContain('Cancelling after the current step')
  const version = /Resume with: voxloop train .* --resume (\S+)/.exec(stderr)?.[1]
  expect(version).toBeTruthy()
  expect(stdout).toContain(`Model ${version}: cancelled`)

  const resumed = await voxloop('train', project, '--resume', '--json')
  expect(resumed.stderr).toContain(`Resuming model ${version}`)
  expect(JSON.parse(resumed.stdout)).toMatchObject({ version, status: 'completed', epochsCompleted: 3 })
  await expect(voxloop('train', project, '--resume')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no interrupted training run to resume') })
})
