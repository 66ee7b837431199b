import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildReferenceUNet,
  buildUNet3d,
  formatModelVersion,
  listModelVersions,
  loadModel,
  modelFolderIO,
  nextModelVersion,
  parseModelVersion,
  saveModel,
  saveModelVersion,
  type UNet3dOptions
} from '../../../../src/engine/model'
import { writeFolderAtomic } from '../../../../src/node/storage/durableWrite'
import { seededTensor, useBackend } from './tfBackends'

const tmp = mkdtempSync(path.join(tmpdir(), 'voxloop-model-store-'))
const options: UNet3dOptions = { inputChannels: 2, numClasses: 3, depth: 2, baseFilters: 4, residualUnits: 1, seed: 9 }
const metadata = { architecture: { builder: 'unet3d', options: { ...options } }, training: { optimizer: 'adam', learningRate: 0.001, steps: 0 } }
let goodDir = ''

beforeAll(async () => {
  await useBackend('wasm')
  goodDir = path.join(tmp, 'good', 'models', 'v0001-20250101-000000')
  const model = buildUNet3d(options)
  await saveModel(model, goodDir, metadata, new Date('2025-01-01T00:00:00Z'))
  model.dispose()
})

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
})

let copies = 0
/** A fresh copy of the good model folder, to damage. */
function copyOfGood(): string {
  const dir = path.join(tmp, `copy${copies++}`, 'v0001-20250101-000000')
  cpSync(goodDir, dir, { recursive: true })
  return dir
}

function editJson(file: string, edit: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  edit(json)
  writeFileSync(file, JSON.stringify(json))
}

async function predictBits(model: tf.LayersModel, x: tf.Tensor): Promise<Uint32Array> {
  const y = model.predict(x) as tf.Tensor
  const values = (await y.data()) as Float32Array
  y.dispose()
  return new Uint32Array(values.buffer.slice(0))
}

describe('saveModel / loadModel', () => {
  it.each([
    ['residual U-Net', () => buildUNet3d(options), [2, 8, 4, 12, 2]],
    ['reference U-Net', () => buildReferenceUNet({ seed: 4 }), [1, 8, 8, 4, 1]]
  ] as const)('%s: a loaded model predicts bit for bit what the saved one did', async (_name, build, inputShape) => {
    const model = build()
    const dir = path.join(tmp, 'roundtrip', model.name, 'models', 'v0001-20250101-000000')
    await saveModel(model, dir, metadata)
    const { model: loaded, config } = await loadModel(dir)
    const x = seededTensor([...inputShape], 17)
    expect(await predictBits(loaded, x)).toEqual(await predictBits(model, x))
    expect(loaded.countParams()).toBe(model.countParams())
    expect(config.model.parameters).toBe(model.countParams())
    x.dispose()
    model.dispose()
    loaded.dispose()
  })

  it('writes exactly model.json, weights.bin and config.json, with the caller’s metadata', async () => {
    expect(readdirSync(goodDir).sort()).toEqual(['config.json', 'model.json', 'weights.bin'])
    expect(readdirSync(path.dirname(goodDir))).toEqual([path.basename(goodDir)]) // no temporary folder left
    const config = JSON.parse(readFileSync(path.join(goodDir, 'config.json'), 'utf8')) as Record<string, unknown>
    expect(config).toMatchObject({
      formatVersion: 1,
      savedAt: '2025-01-01T00:00:00.000Z',
      tfjsVersion: tf.version.tfjs,
      model: { name: 'unet3d', inputShape: [null, null, null, null, 2], outputShape: [null, null, null, null, 3] },
      architecture: metadata.architecture,
      training: metadata.training,
      files: {
        'model.json': { bytes: readFileSync(path.join(goodDir, 'model.json')).byteLength },
        'weights.bin': { bytes: readFileSync(path.join(goodDir, 'weights.bin')).byteLength }
      }
    })
    const modelJson = JSON.parse(readFileSync(path.join(goodDir, 'model.json'), 'utf8')) as { format: string; weightsManifest: { paths: string[] }[] }
    expect(modelJson.format).toBe('layers-model')
    expect(modelJson.weightsManifest.map((group) => group.paths)).toEqual([['weights.bin']])
  })

  it('refuses to overwrite an existing version folder (ALREADY_EXISTS) and leaves no debris', async () => {
    const model = buildUNet3d(options)
    await expect(saveModel(model, goodDir, metadata)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' })
    expect(readdirSync(path.dirname(goodDir))).toEqual([path.basename(goodDir)])
    model.dispose()
  })

  it('refuses metadata that config.json could not hold (INVALID_ARGUMENT), writing nothing', async () => {
    const modelsDir = path.join(tmp, 'bad-metadata', 'models')
    const model = buildUNet3d(options)
    const notAnObject = { architecture: ['unet3d'] as unknown as Record<string, string> }
    const notJson = { architecture: { learningRate: 1n as unknown as number } }
    for (const bad of [notAnObject, notJson]) {
      await expect(saveModel(model, path.join(modelsDir, 'v0001-20250101-000000'), bad)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    }
    expect(existsSync(modelsDir) ? readdirSync(modelsDir) : []).toEqual([])
    model.dispose()
  })

  it('leaves no folder at all when writing fails part-way (the temporary folder is removed)', async () => {
    const parent = path.join(tmp, 'failing', 'models')
    const dir = path.join(parent, 'v0001-20250101-000000')
    // The first file is written, the second is refused: the failure comes mid-folder.
    await expect(writeFolderAtomic(dir, { 'model.json': '{}', '../escape.bin': 'x' })).rejects.toThrow(/not a plain file name/)
    expect(readdirSync(parent)).toEqual([])
    expect(existsSync(path.join(tmp, 'failing', 'escape.bin'))).toBe(false)
  })

  it('modelFolderIO is a plain tf.io handler: tf.loadLayersModel reads the folder; saving needs a description', async () => {
    const loaded = await tf.loadLayersModel(modelFolderIO(goodDir))
    expect(loaded.countParams()).toBe(buildUNet3d(options).countParams())
    await expect(loaded.save(modelFolderIO(path.join(tmp, 'undescribed')))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    loaded.dispose()
  })

  it('NOT_FOUND for a missing folder', async () => {
    await expect(loadModel(path.join(tmp, 'nowhere'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('nowhere') })
  })

  it.each([
    ['model.json missing', (dir: string) => rmSync(path.join(dir, 'model.json')), /model\.json: model\.json is missing/],
    ['weights.bin missing', (dir: string) => rmSync(path.join(dir, 'weights.bin')), /weights\.bin: weights\.bin is missing/],
    ['config.json missing', (dir: string) => rmSync(path.join(dir, 'config.json')), /config\.json: config\.json is missing/],
    ['model.json not JSON', (dir: string) => writeFileSync(path.join(dir, 'model.json'), '{"modelTopology": '), /model\.json: not valid JSON/],
    ['config.json not JSON', (dir: string) => writeFileSync(path.join(dir, 'config.json'), 'garbage'), /config\.json: not valid JSON/],
    ['weights.bin truncated', (dir: string) => truncateSync(path.join(dir, 'weights.bin'), 100), /weights\.bin: 100 bytes, but model\.json's \d+ weights need \d+/],
    [
      'weights.bin altered',
      (dir: string) => {
        const file = path.join(dir, 'weights.bin')
        const bytes = readFileSync(file)
        bytes[0] = (bytes[0] ?? 0) ^ 0xff
        writeFileSync(file, bytes)
      },
      /weights\.bin: contents differ from the SHA-256 recorded in config\.json/
    ],
    [
      'config.json from a newer Voxloop',
      (dir: string) => editJson(path.join(dir, 'config.json'), (json) => (json.formatVersion = 2)),
      /config\.json: format version 2 is not supported; this Voxloop reads version 1\. Update Voxloop/
    ],
    [
      'config.json without a format version',
      (dir: string) => editJson(path.join(dir, 'config.json'), (json) => delete json.formatVersion),
      /config\.json: format version null is not supported/
    ],
    [
      'config.json missing a field',
      (dir: string) => editJson(path.join(dir, 'config.json'), (json) => delete json.architecture),
      /config\.json: not a valid model config: architecture/
    ],
    [
      'model.json of another tfjs format',
      (dir: string) => editJson(path.join(dir, 'model.json'), (json) => (json.format = 'graph-model')),
      /model\.json: format "graph-model" is not supported; Voxloop reads tfjs 'layers-model' files/
    ],
    [
      'model.json pointing outside the folder',
      (dir: string) =>
        editJson(path.join(dir, 'model.json'), (json) => {
          for (const group of json.weightsManifest as { paths: string[] }[]) group.paths = ['../../secret.bin']
        }),
      /model\.json: weightsManifest must name exactly one file, weights\.bin/
    ]
  ] as const)('%s: MODEL_CORRUPT naming the file and the problem', async (_name, damage, message) => {
    const dir = copyOfGood()
    damage(dir)
    const loading = loadModel(dir)
    await expect(loading).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringContaining(dir) })
    await expect(loadModel(dir)).rejects.toThrow(message)
  })

  /** Rewrites model.json (and its digest in config.json, so the check reaches tfjs). */
  function rewriteModelJson(dir: string, edit: (json: Record<string, unknown>) => void): void {
    const modelFile = path.join(dir, 'model.json')
    editJson(modelFile, edit)
    const bytes = readFileSync(modelFile)
    editJson(path.join(dir, 'config.json'), (json) => {
      const files = json.files as Record<string, { bytes: number; sha256: string }>
      files['model.json'] = { bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') }
    })
  }

  it('an unknown layer class: MODEL_CORRUPT naming the class', async () => {
    const dir = copyOfGood()
    rewriteModelJson(dir, (json) => {
      const text = JSON.stringify(json).replaceAll('"class_name":"InstanceNormalization"', '"class_name":"GroupNormalization"')
      Object.assign(json, JSON.parse(text))
    })
    await expect(loadModel(dir)).rejects.toMatchObject({
      code: 'MODEL_CORRUPT',
      message: expect.stringMatching(/model\.json: uses class 'GroupNormalization', which this version of Voxloop does not know/)
    })
  })

  it('weights that do not fit the layers: MODEL_CORRUPT from tfjs’s strict load', async () => {
    const dir = copyOfGood()
    rewriteModelJson(dir, (json) => {
      const text = JSON.stringify(json).replace('"filters":4', '"filters":5')
      Object.assign(json, JSON.parse(text))
    })
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringMatching(/model\.json: tfjs could not build the model/) })
  })
})

describe('model versions', () => {
  it('formats and parses v<sequence>-<UTC date>-<UTC time>', () => {
    const at = new Date('2025-03-09T07:05:04.900Z')
    expect(formatModelVersion(1, at)).toBe('v0001-20250309-070504')
    expect(formatModelVersion(12345, at)).toBe('v12345-20250309-070504')
    expect(parseModelVersion('v0001-20250309-070504')).toEqual({ name: 'v0001-20250309-070504', sequence: 1, savedAt: new Date('2025-03-09T07:05:04Z') })
    for (const name of ['v1-20250309-070504', 'v0001-20250230-070504', 'v0001-20250309-250000', '.v0001-20250309-070504.123.tmp', 'notes']) {
      expect(parseModelVersion(name)).toBeNull()
    }
    expect(() => formatModelVersion(0, at)).toThrow(/sequence/)
  })

  it('the next version follows the highest existing one, ignoring other entries', async () => {
    const modelsDir = path.join(tmp, 'versions', 'models')
    expect(await nextModelVersion(modelsDir, new Date('2025-01-02T03:04:05Z'))).toBe('v0001-20250102-030405')
    for (const name of ['v0002-20240101-000000', 'v0010-20240301-000000', '.v0011-20240401-000000.1.ab.tmp', 'readme']) mkdirSync(path.join(modelsDir, name), { recursive: true })
    writeFileSync(path.join(modelsDir, 'v0020-20240101-000000'), 'a file, not a version folder')
    expect((await listModelVersions(modelsDir)).map((version) => version.name)).toEqual(['v0002-20240101-000000', 'v0010-20240301-000000'])
    expect(await nextModelVersion(modelsDir, new Date('2025-01-02T03:04:05Z'))).toBe('v0011-20250102-030405')
  })

  it('saveModelVersion saves under the next name, and concurrent saves get distinct versions', async () => {
    const modelsDir = path.join(tmp, 'project', 'models')
    const model = buildUNet3d(options)
    const now = new Date('2025-05-06T07:08:09Z')
    const saved = await Promise.all([saveModelVersion(model, modelsDir, metadata, now), saveModelVersion(model, modelsDir, metadata, now)])
    expect(saved.map((s) => s.version).sort()).toEqual(['v0001-20250506-070809', 'v0002-20250506-070809'])
    expect(readdirSync(modelsDir).sort()).toEqual(['v0001-20250506-070809', 'v0002-20250506-070809'])
    model.dispose()
  })
})
