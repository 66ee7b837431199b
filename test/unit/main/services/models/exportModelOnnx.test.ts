/**
 * `voxloop export-model --onnx` end to end below the CLI: a real project, a model version trained by
 * a real engine process (the TypeScript source under tsx, wasm backend), exported, read back by
 * onnxruntime-node, and checked on a case against the engine's own prediction. Plus what the
 * export refuses.
 */
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventHub } from '../../../../../src/main/app/EventHub'
import { EngineClient } from '../../../../../src/main/engine/EngineClient'
import { forkEngine } from '../../../../../src/main/engine/forkEngine'
import { exportModelOnnx, ONNX_CHECK_TOLERANCE } from '../../../../../src/main/services/models/exportModelOnnx'
import type { ProjectStore } from '../../../../../src/main/services/project/ProjectStore'
import { TrainingService } from '../../../../../src/main/services/training/TrainingService'
import { engineArgv } from '../../../../../src/shared/engineProtocol'
import { TrainingOptionsSchema, type TrainingResult } from '../../../../../src/shared/training'
import { engineSpecFromSource } from '../../../../helpers/engineUnderTsx'
import { runCli } from '../../../../helpers/runCli'
import { FIXTURE_LABELS, tinyOptions } from '../../../engine/train/trainingFixtures'
import { makeTempDir, removeDir } from '../project/projectFixtures'
import { syntheticProject } from '../training/syntheticProject'

let dir: string
let store: ProjectStore
let engine: EngineClient
let training: TrainingService
let version: string
const hub = new EventHub()

beforeAll(async () => {
  dir = await makeTempDir('voxloop-export-onnx-')
  store = await syntheticProject(dir, { name: 'Balls', labels: FIXTURE_LABELS, seed: 5, cases: 4 })
  engine = new EngineClient({ launcher: forkEngine, spec: { ...engineSpecFromSource(), argv: engineArgv({ backend: 'wasm' }) } })
  training = new TrainingService({ engine, events: hub, store: () => store })
  const finished = new Promise<TrainingResult>((resolve) => {
    const off = hub.subscribe((name, payload) => {
      if (name === 'training:finished') {
        off()
        resolve(payload as TrainingResult)
      }
    })
  })
  // The residual U-Net: its 1×1×1 stride-2 projections take the export's cropping path.
  version = (await training.start(TrainingOptionsSchema.parse(tinyOptions({ epochs: 1, seed: 7 })))).version
  expect((await finished).status).toBe('completed')
}, 180_000)

afterAll(async () => {
  training?.dispose()
  engine?.dispose()
  await store?.dispose()
  await removeDir(dir)
})

const options = (overrides: Partial<Parameters<typeof exportModelOnnx>[3]> = {}): Parameters<typeof exportModelOnnx>[3] => ({ defaultDir: dir, appVersion: '9.9.9-test', ...overrides })

describe('exportModelOnnx', () => {
  it('writes <version>.onnx that onnxruntime runs, with the plan in its metadata, and checks it on a case within 1e-4', async () => {
    const report = await exportModelOnnx(store, engine, version, options({ checkCaseId: 'case-0' }))
    expect(report.file).toBe(path.join(dir, `${version}.onnx`))
    const bytes = await readFile(report.file)
    expect(bytes.byteLength).toBe(report.bytes)

    const classes = JSON.parse(report.metadata.classes ?? 'null') as { index: number; labelId: number; name: string }[]
    expect(classes.map((c) => c.name)).toEqual(['background', 'ball', 'box'])
    expect(report.metadata.voxloop_version).toBe('9.9.9-test')
    expect(report.metadata.model_version).toBe(version)
    expect(JSON.parse(report.metadata.target_spacing_mm ?? 'null')).toHaveLength(3)
    expect(JSON.parse(report.metadata.normalization ?? 'null')).toMatchObject({ scheme: 'per-volume-zscore' })

    const session = await ort.InferenceSession.create(new Uint8Array(bytes))
    try {
      expect(session.inputNames).toEqual(['image'])
      expect(session.outputNames).toEqual(['probabilities'])
      const { probabilities } = await session.run({ image: new ort.Tensor('float32', new Float32Array(8 * 8 * 8), [1, 8, 8, 8, 1]) })
      expect(probabilities?.dims).toEqual([1, 8, 8, 8, 3])
    } finally {
      await session.release()
    }

    expect(report.check).toMatchObject({ caseId: 'case-0', version, patchShape: [8, 8, 8], values: 8 * 8 * 8 * 3, tolerance: ONNX_CHECK_TOLERANCE, passed: true })
    expect(report.check?.maxAbsDifference).toBeLessThanOrEqual(1e-4)
  })

  it('refuses to replace a file, to write into the project or a name without .onnx', async () => {
    const taken = path.join(dir, 'taken.onnx')
    await writeFile(taken, 'keep me')
    await expect(exportModelOnnx(store, engine, version, options({ out: taken }))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' })
    expect(await readFile(taken, 'utf8')).toBe('keep me')
    await expect(exportModelOnnx(store, engine, version, options({ out: path.join(store.root, 'model.onnx') }))).rejects.toThrow(/outside the project/)
    await expect(exportModelOnnx(store, engine, version, options({ out: path.join(dir, 'model.bin') }))).rejects.toThrow(/must end in \.onnx/)
  })

  it('names a version or a check case the project does not have', async () => {
    await expect(exportModelOnnx(store, engine, 'v0099-20260101-000000', options())).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(exportModelOnnx(store, engine, '../../etc', options())).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^No model version "\.\.\/\.\.\/etc" in .* \(versions there: v\d{4}-/) })
    // A version by its number is that folder (it gets as far as the destination, which is taken).
    const taken = path.join(dir, 'taken-by-number.onnx')
    await writeFile(taken, 'keep me')
    await expect(exportModelOnnx(store, engine, `v${Number(version.slice(1, 5))}`, options({ out: taken }))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' })
    await expect(exportModelOnnx(store, engine, version, options({ out: path.join(dir, 'other.onnx'), checkCaseId: 'no-such-case' }))).rejects.toThrow(/no case no-such-case/)
  })
})

describe('voxloop export-model', () => {
  it('asks for the format before starting anything', () => {
    const run = runCli(['export-model', path.join(dir, 'project'), 'v0001-20260101-000000'])
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/name the format, --onnx/)
  })
})
