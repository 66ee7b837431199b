import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { VoxloopError } from '../../../../src/shared/errors'
import { copyFileAtomic, writeFileAtomic, writeFolderAtomic, writeFolderAtomicWith, writeSynced } from '../../../../src/node/storage/durableWrite'

const tmp = mkdtempSync(path.join(tmpdir(), 'voxloop-atomic-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('writeFileAtomic', () => {
  it('creates a file from a string (UTF-8) or bytes, leaving no temporary file', async () => {
    const text = path.join(tmp, 'voxloop.json')
    await writeFileAtomic(text, '{"name":"Hippocampus – ü"}')
    expect(readFileSync(text, 'utf8')).toBe('{"name":"Hippocampus – ü"}')
    const bytes = path.join(tmp, 'label.bin')
    await writeFileAtomic(bytes, Uint8Array.from([0, 1, 2, 255]))
    expect(Array.from(readFileSync(bytes))).toEqual([0, 1, 2, 255])
    expect(readdirSync(tmp).sort()).toEqual(['label.bin', 'voxloop.json'])
  })

  it('writes a list of chunks in order, views into larger buffers included', async () => {
    const file = path.join(tmp, 'chunks.bin')
    const floats = Float32Array.from([1.5, -2])
    const backing = Uint8Array.from([9, 9, 7, 8, 9])
    await writeFileAtomic(file, [Uint8Array.from([1, 2]), new Uint8Array(floats.buffer), backing.subarray(2, 4), new Uint8Array(0)])
    const expected = Buffer.concat([Buffer.from([1, 2]), Buffer.from(floats.buffer), Buffer.from([7, 8])])
    expect(readFileSync(file).equals(expected)).toBe(true)
    expect(readdirSync(tmp).filter((name) => name.includes('chunks'))).toEqual(['chunks.bin'])
  })

  it('replaces an existing file and keeps its permission bits', async () => {
    const file = path.join(tmp, 'replace.txt')
    writeFileSync(file, 'old')
    if (process.platform !== 'win32') chmodSync(file, 0o600)
    await writeFileAtomic(file, 'new')
    expect(readFileSync(file, 'utf8')).toBe('new')
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600)
  })

  it('handles many concurrent writers to one file: the result is one complete version', async () => {
    const file = path.join(tmp, 'race.txt')
    const versions = Array.from({ length: 20 }, (_, i) => `version ${i} `.repeat(5000))
    await Promise.all(versions.map((v) => writeFileAtomic(file, v)))
    expect(versions).toContain(readFileSync(file, 'utf8'))
    expect(readdirSync(tmp).filter((n) => n.endsWith('.tmp'))).toEqual([])
  })

  it('fails with the Node error and cleans up when the folder does not exist', async () => {
    const file = path.join(tmp, 'missing-folder', 'x.txt')
    await expect(writeFileAtomic(file, 'x')).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('fails without leaving a temporary file when the target is a folder', async () => {
    const target = path.join(tmp, 'a-folder')
    await import('node:fs/promises').then((fs) => fs.mkdir(target))
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow()
    expect(readdirSync(tmp).filter((n) => n.endsWith('.tmp'))).toEqual([])
  })
})

describe('copyFileAtomic', () => {
  it('copies a file larger than its read buffer byte for byte, replacing the target', async () => {
    const dir = mkdtempSync(path.join(tmp, 'copy-'))
    const source = path.join(dir, 'image.nii.gz')
    const bytes = Buffer.alloc(3 * (1 << 20) + 17)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 11)) & 0xff
    writeFileSync(source, bytes)
    const target = path.join(dir, 'copy.nii.gz')
    writeFileSync(target, 'old')
    await copyFileAtomic(source, target)
    expect(readFileSync(target).equals(bytes)).toBe(true)
    expect(readdirSync(dir).sort()).toEqual(['copy.nii.gz', 'image.nii.gz'])
  })

  it('leaves the target as it was, and no temporary, when the source cannot be read', async () => {
    const dir = mkdtempSync(path.join(tmp, 'copy-missing-'))
    const target = path.join(dir, 'copy.nii.gz')
    writeFileSync(target, 'old')
    await expect(copyFileAtomic(path.join(dir, 'missing.nii.gz'), target)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(readFileSync(target, 'utf8')).toBe('old')
    expect(readdirSync(dir)).toEqual(['copy.nii.gz'])
  })
})

describe('writeFolderAtomic', () => {
  it('creates the folder with all its files at once, and refuses an existing one', async () => {
    const dir = path.join(mkdtempSync(path.join(tmp, 'folder-')), 'v0001')
    await writeFolderAtomic(dir, { 'model.json': '{}', 'weights.bin': Uint8Array.from([1, 2, 3]) })
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin'])
    expect(Array.from(readFileSync(path.join(dir, 'weights.bin')))).toEqual([1, 2, 3])
    await expect(writeFolderAtomic(dir, { 'model.json': '[]' })).rejects.toBeInstanceOf(VoxloopError)
    expect(readFileSync(path.join(dir, 'model.json'), 'utf8')).toBe('{}')
    expect(readdirSync(path.dirname(dir))).toEqual(['v0001'])
  })

  it('replaces a folder only when asked, and leaves the old one whole when filling fails', async () => {
    const parent = mkdtempSync(path.join(tmp, 'folder-replace-'))
    const dir = path.join(parent, 'e0003')
    mkdirSync(dir)
    writeFileSync(path.join(dir, 'debris'), 'x')
    await expect(
      writeFolderAtomicWith(dir, async (temporary) => {
        await writeSynced(path.join(temporary, 'state.json'), '{}')
        throw new Error('disk full')
      }, { replace: true })
    ).rejects.toThrow('disk full')
    expect(readdirSync(dir)).toEqual(['debris'])
    expect(readdirSync(parent)).toEqual(['e0003'])
    await writeFolderAtomicWith(dir, (temporary) => writeSynced(path.join(temporary, 'state.json'), '{"epoch":3}'), { replace: true })
    expect(readdirSync(dir)).toEqual(['state.json'])
    expect(existsSync(path.join(dir, 'debris'))).toBe(false)
  })
})
