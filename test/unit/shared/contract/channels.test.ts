import { describe, expect, it } from 'vitest'
import {
  CHANNEL_NAMES,
  channels,
  parseChannelArgs,
  type ChannelArgs,
  type ChannelName
} from '../../../../src/shared/contract'
import { VoxloopError } from '../../../../src/shared/errors'

// A valid call for every channel. Typed over ChannelName, so a new channel without an example
// here fails the type-check.
const validArgs: { [C in ChannelName]: ChannelArgs<C> } = {
  'app:ping': [1],
  'system:info': [],
  'system:backends': [],
  'system:load': [],
  'models:activate': ['v0001-20261121-063000'],
  'predictions:run': [{ caseIds: ['hippocampus_001'], model: 'v0001-20261121-063000', tta: true }],
  'predictions:cancel': [],
  'predictions:status': [],
  'settings:get': [],
  'settings:update': [{ computeBackend: 'wasm' }],
  'projects:recent': [],
  'projects:forget': ['/tmp/project'],
  'projects:pickFolder': [{ title: 'Pick' }],
  'projects:open': ['/tmp/project'],
  'projects:create': [{ folder: '/tmp/new', name: 'Liver', modality: 'CT', labels: [{ id: 1, name: 'liver', color: '#ff0000' }] }],
  'projects:createDemo': [{ folder: '/tmp/demo' }],
  'projects:demoFolder': [],
  'projects:current': [],
  'projects:close': [],
  'projects:import': ['/data/Task04_Hippocampus', { fourD: 'time' }],
  'projects:cancelImport': [],
  'projects:inspectFolder': ['/data/Task04_Hippocampus'],
  'projects:listDicomSeries': ['/data/dicom/study1'],
  'projects:export': [{ folder: '/tmp/out', format: 'seg-nrrd', includePredictions: true }],
  'projects:setModality': ['CT'],
  'projects:updateLabels': [[{ id: 1, name: 'anterior', color: '#00ff00' }]],
  'cases:list': [],
  'cases:setStatus': ['hippocampus_001', 'done'],
  'cases:setSplit': ['hippocampus_001', 'test'],
  'cases:setPixelSpacing': [{ spacingMm: [0.5, 0.5], caseIds: ['MCUCXR_0001_0'] }],
  'cases:load': ['hippocampus_001'],
  'cases:dicomSource': ['hippocampus_001'],
  'labels:edit': ['hippocampus_001', { indices: new Uint32Array([1, 2]), values: new Uint8Array([1, 1]) }],
  'cases:recordReview': [
    'hippocampus_001',
    { modelVersion: 'v0001', voxelsChanged: 10, perLabel: [{ labelId: 1, added: 4, removed: 6 }], dice: { '1': 0.9 }, seconds: 42, curatedAt: '2026-11-21T06:00:00Z' }
  ],
  'labels:save': ['hippocampus_001'],
  'labels:discard': ['hippocampus_001'],
  'training:start': [{ epochs: 5, patchSize: [32, 48, 32], batchSize: 2, learningRate: 1e-3, optimizer: 'adam', validationFraction: 0.2, augment: true, seed: 1 }],
  'training:cancel': [],
  'training:status': [],
  'models:list': [],
  'models:evaluate': [{ version: 'v0001-20250131-142502' }]
}

function wrongValueFor(valid: unknown): unknown {
  return typeof valid === 'object' && valid !== null ? 42 : { bogus: true }
}

function expectInvalid(channel: ChannelName, args: unknown, mentions: RegExp): void {
  let caught: unknown
  try {
    parseChannelArgs(channel, args)
  } catch (error) {
    caught = error
  }
  expect(caught, `${channel} accepted ${JSON.stringify(args)}`).toBeInstanceOf(VoxloopError)
  const error = caught as VoxloopError
  expect(error.code).toBe('INVALID_ARGUMENT')
  expect(error.message.startsWith(`${channel}: `)).toBe(true)
  expect(error.message).toMatch(mentions)
}

describe('the contract', () => {
  it('names every channel domain:verb', () => {
    for (const name of CHANNEL_NAMES) expect(name).toMatch(/^[a-z]+:[a-zA-Z]+$/)
  })

  describe.each(CHANNEL_NAMES)('%s', (channel) => {
    const valid = validArgs[channel] as unknown[]

    it('accepts a well-formed call', () => {
      expect(() => parseChannelArgs(channel, valid)).not.toThrow()
    })

    it('rejects arguments that are not an array', () => {
      expectInvalid(channel, { 0: valid[0] }, /arguments must be an array/)
      expectInvalid(channel, 'oops', /arguments must be an array, got string/)
    })

    it('rejects an extra argument', () => {
      expectInvalid(channel, [...valid, 'extra'], /argument|arguments/)
    })

    it.each(valid.map((_, index) => index))('rejects a wrong type in argument %i', (index) => {
      const args = [...valid]
      args[index] = wrongValueFor(valid[index])
      expectInvalid(channel, args, new RegExp(`argument ${index + 1}`))
    })

    it('rejects a missing required argument', () => {
      const required = (channels[channel].args.def.items as Array<{ safeParse(v: unknown): { success: boolean } }>).filter(
        (schema) => !schema.safeParse(undefined).success
      )
      if (required.length === 0) return
      expectInvalid(channel, [], /argument 1|arguments/)
    })
  })

  it('refuses an unknown channel', () => {
    expect(() => parseChannelArgs('system:format-disk', [])).toThrow(expect.objectContaining({ code: 'UNKNOWN_CHANNEL' }))
  })

  it('explains which field of an object argument is wrong', () => {
    expectInvalid('settings:update', [{ computeBackend: 'quantum' }], /argument 1 \(computeBackend\)/)
    expectInvalid('settings:update', [{ theme: 'dark' }], /argument 1/)
  })

  it('refuses case ids that could escape the project folder', () => {
    for (const id of ['../etc/passwd', '/abs', 'a/b', '..', 'x..y', '', '.hidden']) {
      expectInvalid('cases:load', [id], /argument 1/)
    }
  })

  it('refuses label edits whose arrays are not typed or differ in length', () => {
    expectInvalid('labels:edit', ['c1', { indices: [1, 2], values: new Uint8Array(2) }], /Uint32Array/)
    expectInvalid('labels:edit', ['c1', { indices: new Uint32Array(2), values: new Float32Array(2) }], /Uint8Array or Uint16Array/)
    expectInvalid('labels:edit', ['c1', { indices: new Uint32Array(2), values: new Uint8Array(3) }], /same length/)
  })

  it('refuses training options out of range, naming the option', () => {
    expectInvalid('training:start', [{ epochs: 0 }], /argument 1 \(epochs\)/)
    expectInvalid('training:start', [{ epochs: 2, optimizer: 'rmsprop' }], /argument 1 \(optimizer\)/)
    expectInvalid('training:start', [{ epochs: 2, patchSize: [32, 32] }], /argument 1 \(patchSize/)
    expectInvalid('training:start', [{ epochs: 2, validationFraction: 1 }], /argument 1 \(validationFraction\)/)
    expectInvalid('training:start', [{ epochs: 2, resume: '../elsewhere' }], /argument 1 \(resume\)/)
    expectInvalid('training:start', [{ epochs: 2, steps: 10 }], /argument 1/)
  })

  it('refuses a pixel spacing outside 0.001–100 mm, a bad case id and unknown keys', () => {
    expectInvalid('cases:setPixelSpacing', [{ spacingMm: [0, 1] }], /argument 1/)
    expectInvalid('cases:setPixelSpacing', [{ spacingMm: [1, 101] }], /argument 1/)
    expectInvalid('cases:setPixelSpacing', [{ spacingMm: [1] }], /argument 1/)
    expectInvalid('cases:setPixelSpacing', [{ spacingMm: [1, 1], caseIds: ['../x'] }], /argument 1/)
    expectInvalid('cases:setPixelSpacing', [{ spacingMm: [1, 1], caseIds: [] }], /argument 1/)
    expectInvalid('cases:setPixelSpacing', [{ spacingMm: [1, 1], folder: '/etc' }], /argument 1/)
  })

  it('refuses a split that is not train, validation or test, and evaluate with both cases and a split', () => {
    expectInvalid('cases:setSplit', ['hippocampus_001', 'holdout'], /argument 2/)
    expectInvalid('cases:setSplit', ['../x', 'test'], /argument 1/)
    expect(() => parseChannelArgs('models:evaluate', [{ version: 'v0001-20250131-142502', split: 'test' }])).not.toThrow()
    expectInvalid('models:evaluate', [{ version: 'v0001-20250131-142502', split: 'heldout' }], /argument 1 \(split\)/)
    expectInvalid('models:evaluate', [{ version: 'v0001-20250131-142502', caseIds: ['a'], split: 'test' }], /caseIds or split, not both/)
  })

  it('refuses a modality that is not CT, MR or other; a new project may leave it to the data', () => {
    expectInvalid('projects:setModality', ['PET'], /argument 1/)
    expectInvalid('projects:setModality', [], /expected array to have >=1 items/)
    expect(parseChannelArgs('projects:create', [{ folder: '/tmp/new', name: 'Liver' }])).toEqual([{ folder: '/tmp/new', name: 'Liver' }])
  })

  it('takes an export format from the six there are, and nothing else', () => {
    for (const format of ['nifti', 'seg-nrrd', 'msd', 'nnunet-v2', 'dicom-seg', 'png-masks']) {
      expect(parseChannelArgs('projects:export', [{ folder: '/tmp/out', format }])).toEqual([{ folder: '/tmp/out', format, includePredictions: false }])
    }
    expectInvalid('projects:export', [{ folder: '/tmp/out', format: 'dicom' }], /argument 1 \(format\)/)
    expectInvalid('projects:export', [{ folder: '/tmp/out' }], /argument 1 \(format\)/)
  })

  it('imports with or without a 4D option, which is channels or time and nothing else', () => {
    expect(parseChannelArgs('projects:import', ['/data/fmri'])).toEqual(['/data/fmri'])
    for (const fourD of ['channels', 'time']) {
      expect(parseChannelArgs('projects:import', ['/data/fmri', { fourD }])).toEqual(['/data/fmri', { fourD }])
    }
    expectInvalid('projects:import', ['/data/fmri', { fourD: 'frames' }], /argument 2 \(fourD\)/)
    expectInvalid('projects:import', ['/data/fmri', { fourD: 'time', split: true }], /argument 2/)
    expect(parseChannelArgs('projects:import', ['/data/dicom', { series: ' 1.2.840.1 ' }])).toEqual(['/data/dicom', { series: '1.2.840.1' }])
    expectInvalid('projects:import', ['/data/dicom', { series: '' }], /argument 2 \(series\)/)
  })

  it('rejects empty and whitespace-only paths', () => {
    expectInvalid('projects:open', [''], /must not be empty/)
    expectInvalid('projects:open', ['   '], /must not be empty/)
  })
})
