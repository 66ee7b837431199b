import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { expect, test } from '@playwright/test'
import { SHARED_DATA_DIR } from './fixtures/sharedData'

const run = promisify(execFile)
const repoRoot = path.resolve(__dirname, '../..')
const voxloop = (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
  run(process.execPath, [path.join(repoRoot, 'bin', 'voxloop.cjs'), ...args], { cwd: repoRoot, env: { ...process.env, VOXLOOP_HOME: os.tmpdir() } })

test('--version prints the package version', async () => {
  const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }
  expect((await voxloop('--version')).stdout.trim()).toBe(pkg.version)
})

test('backends --json tells the truth about this machine', async () => {
  const report = JSON.parse((await voxloop('backends', '--json')).stdout) as {
    chosen: string
    probes: Array<{ id: string; available: boolean; reason: string; autoSkipReason?: string }>
  }
  const requireHere = createRequire(__filename)
  const installed = (name: string): boolean => {
    try {
      requireHere.resolve(`${name}/package.json`)
      return true
    } catch {
      return false
    }
  }
  expect(report.probes.map((p) => p.id)).toEqual(['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'])
  for (const id of ['tfjs-node-gpu', 'tfjs-node']) {
    if (!installed(`@tensorflow/${id}`)) expect(report.probes.find((p) => p.id === id)?.reason).toBe('not installed')
  }
  expect(report.probes.find((p) => p.id === 'wasm')?.available).toBe(true)
  // A software GPU adapter (SwiftShader, where its ICD is set) is available but never auto's choice.
  expect(report.chosen).toBe(report.probes.find((p) => p.available && p.autoSkipReason === undefined)?.id)
})

test('info --json gives dims, spacing, affine, datatype and orientation of an LPS file', async () => {
  const file = path.join(SHARED_DATA_DIR, 'labeled', 'totalsegmentator_examples', 'imagesTr', 'example_mr_sm.nii.gz')
  const info = JSON.parse((await voxloop('info', file, '--json')).stdout) as Record<string, unknown>
  expect(info.dims).toEqual([117, 91, 20])
  expect(info.spacing).toEqual([3, 3, 3])
  expect(info.datatype).toBe('int16')
  expect(info.orientation).toBe('LPS')
  const affine = info.affine as number[][]
  expect(affine).toHaveLength(4)
  expect(affine[0]?.[0]).toBeCloseTo(-3)
  expect(affine[1]?.[1]).toBeCloseTo(-3)
  expect(affine[3]).toEqual([0, 0, 0, 1])
})

test('info refuses a file that is not NIfTI, naming it', async () => {
  const file = path.join(SHARED_DATA_DIR, 'nifti-suite', 'nifti-reader-js', 'not-nifti.nii')
  const failure = await voxloop('info', file).then(
    () => null,
    (error: { code: number; stderr: string }) => error
  )
  expect(failure?.code).toBe(1)
  expect(failure?.stderr).toContain(`${file}: not a NIfTI file`)
})

test('a mistyped option is refused with the nearest real one, and nothing is created', async () => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'voxloop-cli-typo-'))
  try {
    const project = path.join(tmp, 'hippocampus')
    const failure = await voxloop('import', path.join(SHARED_DATA_DIR, 'labeled', 'msd_task04_hippocampus'), project, '--modalty', 'CT').then(
      () => null,
      (error: { code: number; stderr: string }) => error
    )
    expect(failure?.code).toBe(1)
    expect(failure?.stderr.trim()).toBe('voxloop: voxloop import: unknown option --modalty (did you mean --modality?; see voxloop --help)')
    expect(await readdir(tmp)).toEqual([])
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
})

test('import an MSD folder into a new project, then export it as MSD', async () => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'voxloop-cli-'))
  try {
    const project = path.join(tmp, 'hippocampus')
    const report = JSON.parse((await voxloop('import', path.join(SHARED_DATA_DIR, 'labeled', 'msd_task04_hippocampus'), project, '--json')).stdout) as {
      format: string
      imported: unknown[]
    }
    expect(report.format).toBe('msd')
    expect(report.imported).toHaveLength(41)
    const manifest = JSON.parse(await readFile(path.join(project, 'voxloop.json'), 'utf8')) as { modality: string; labels: Array<{ name: string }> }
    expect(manifest.modality).toBe('MR')
    expect(manifest.labels.map((l) => l.name)).toEqual(['Anterior', 'Posterior'])
    await voxloop('export', project, path.join(tmp, 'out'), '--msd')
    expect((await readdir(path.join(tmp, 'out', 'labelsTr'))).length).toBe(41)
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
})

test('a read-only project: writes are refused with one clear line (no stack trace), export works', async () => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'voxloop-cli-ro-'))
  const project = path.join(base, 'project')
  const mounted = path.join(base, 'mounted')
  const imported = await voxloop('import', path.join(SHARED_DATA_DIR, 'labeled', 'msd_task04_hippocampus'), project)
  // The label table the import brought, from dataset.json.
  expect(imported.stdout).toContain('\nLabels added to the project: 1 Anterior, 2 Posterior\n')
  await mkdir(mounted)
  let mountFailure: string | null = null
  try {
    await run('mount', ['--bind', project, mounted])
    await run('mount', ['-o', 'remount,ro,bind', mounted])
  } catch (error) {
    mountFailure = `a read-only bind mount needs root or CAP_SYS_ADMIN: ${(error as Error).message.split('\n')[0] ?? ''}`
  }
  try {
    test.skip(mountFailure !== null, `Read-only CLI test skipped: ${mountFailure ?? ''}`)
    for (const args of [
      ['import', path.join(SHARED_DATA_DIR, 'labeled', 'msd_task04_hippocampus'), mounted],
      ['train', mounted, '--epochs', '1'],
      ['predict', mounted]
    ]) {
      const failed = await voxloop(...args).then(
        () => null,
        (error: { code: number; stderr: string }) => error
      )
      expect(failed?.code, args[0]).toBe(1)
      expect(failed?.stderr, args[0]).toMatch(/read-only/)
      expect(failed?.stderr, args[0]).not.toMatch(/\n\s+at /)
    }
    const out = path.join(base, 'export')
    await voxloop('export', mounted, out)
    expect((await readdir(out)).length).toBeGreaterThan(0)
  } finally {
    if (mountFailure === null) await run('umount', ['-l', mounted]).catch(() => undefined)
    await rm(base, { recursive: true, force: true })
  }
})
