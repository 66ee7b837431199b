import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveModelVersion } from '../../../../src/node/models/modelVersions'
import { makeTempDir, removeDir } from '../../main/services/project/projectFixtures'

let models: string
beforeAll(async () => {
  models = await makeTempDir('model-versions')
  for (const name of ['v0001-20261207-100000', 'v0002-20261207-110000', 'v0012-20261207-120000', 'hand-made']) await mkdir(path.join(models, name))
  await writeFile(path.join(models, 'v0003-20261207-130000'), 'a file, not a version folder')
})
afterAll(async () => {
  await removeDir(models)
})

describe('resolveModelVersion', () => {
  it('takes a folder name as it is, and a version number in the forms people type', async () => {
    expect(await resolveModelVersion(models, 'v0002-20261207-110000')).toBe('v0002-20261207-110000')
    expect(await resolveModelVersion(models, 'hand-made')).toBe('hand-made')
    for (const typed of ['v0012', 'v12', '12', 'V0012', '0012']) expect(await resolveModelVersion(models, typed)).toBe('v0012-20261207-120000')
    expect(await resolveModelVersion(models, 'v1')).toBe('v0001-20261207-100000')
  })

  it('refuses what is no version folder, naming the versions there are', async () => {
    await expect(resolveModelVersion(models, 'v0003')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `No model version "v0003" in ${models} (versions there: v0001-20261207-100000, v0002-20261207-110000, v0012-20261207-120000)`
    })
    await expect(resolveModelVersion(models, 'v0003-20261207-130000')).rejects.toThrow('No model version "v0003-20261207-130000"')
    await expect(resolveModelVersion(models, '..')).rejects.toThrow('No model version ".."')
    await expect(resolveModelVersion(models, '../model-versions')).rejects.toThrow('No model version')
    await expect(resolveModelVersion(path.join(models, 'none'), 'v1')).rejects.toThrow('(there is no trained model version there yet)')
  })

  it('names the six newest of many, and how many older', async () => {
    const many = await makeTempDir('model-versions-many')
    try {
      for (let i = 1; i <= 9; i++) await mkdir(path.join(many, `v000${i}-20261207-10000${i}`))
      await expect(resolveModelVersion(many, 'v42')).rejects.toThrow('versions there: v0004-20261207-100004, v0005-20261207-100005, v0006-20261207-100006, v0007-20261207-100007, v0008-20261207-100008, v0009-20261207-100009 and 3 older)')
    } finally {
      await removeDir(many)
    }
  })
})
