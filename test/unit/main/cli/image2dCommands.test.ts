import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { PNG } from 'pngjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../../../helpers/runCli'
import { greyPng, writeTree } from '../services/project/image2dFixtures'
import { makeTempDir, removeDir } from '../services/project/projectFixtures'

let base: string

beforeEach(async () => {
  base = await makeTempDir('cli-2d')
})

afterEach(async () => {
  await removeDir(base)
})

describe('voxloop import / export with a folder of 2D images', () => {
  it('imports images/ + masks/ into a new project and exports the masks back as PNG', async () => {
    const mask = [0, 255, 255, 0, 0, 255]
    const source = await writeTree(path.join(base, 'xrays'), {
      'images/a.png': greyPng(3, 2, [10, 20, 30, 40, 50, 60]),
      'images/b.png': greyPng(3, 2, [1, 2, 3, 4, 5, 6]),
      'masks/a.png': greyPng(3, 2, mask)
    })
    const project = path.join(base, 'project')
    const imported = runCli(['import', source, project])
    expect(imported.stderr).toBe('')
    expect(imported.status).toBe(0)
    expect(imported.stdout).toMatch(/^Imported 2 case\(s\) from .* \(folder\) into /)
    expect(imported.stdout).toContain('Modality: other, guessed from the intensities: the 2 images are 2D pictures')
    expect(imported.stdout).toContain('  note: pixel spacing unknown in 2 file(s): 1 mm assumed\n')
    const out = path.join(base, 'masks-out')
    const exported = runCli(['export', project, out, '--format', 'png-masks'])
    expect(exported.status).toBe(0)
    expect(exported.stdout).toContain('Wrote 1 file(s)')
    expect(exported.stdout).toContain('skipped b: no label yet')
    expect(await readdir(out)).toEqual(['a.png'])
    const png = PNG.sync.read(await readFile(path.join(out, 'a.png')))
    expect(Array.from({ length: 6 }, (_, n) => png.data[n * 4])).toEqual(mask)
  }, 60_000)
})
