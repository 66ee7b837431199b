import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ProjectPaths, assertCaseId, isValidCaseId } from '../../../../../src/main/services/project/projectPaths'

describe('case ids', () => {
  it.each(['hippocampus_001', 'case-7', 'A.b_c-9', '0'])('accepts %s', (id) => {
    expect(isValidCaseId(id)).toBe(true)
  })

  it.each([
    ['parent segment', '../etc'],
    ['embedded ..', 'a..b'],
    ['slash', 'a/b'],
    ['backslash', 'a\\b'],
    ['absolute path', '/etc/passwd'],
    ['Windows absolute path', 'C:\\Windows'],
    ['leading dot', '.hidden'],
    ['empty', ''],
    ['space', 'a b'],
    ['NUL byte', 'a\u0000b'],
    ['device name', 'con'],
    ['device name with extension', 'NUL.case'],
    ['too long', 'a'.repeat(129)],
    ['uncertainty suffix', 'case.uncertainty']
  ])('refuses %s', (_why, id) => {
    expect(isValidCaseId(id)).toBe(false)
    expect(() => assertCaseId(id)).toThrow(expect.objectContaining({ code: 'PATH_OUTSIDE_PROJECT' }))
  })

  it('refuses non-strings', () => {
    expect(() => assertCaseId(42)).toThrow(expect.objectContaining({ code: 'PATH_OUTSIDE_PROJECT' }))
  })
})

describe('ProjectPaths', () => {
  let base: string
  let root: string
  let outside: string
  let paths: ProjectPaths

  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'voxloop-paths-'))
    root = path.join(base, 'project')
    outside = path.join(base, 'elsewhere')
    await mkdir(path.join(root, 'labels'), { recursive: true })
    await mkdir(outside)
    await writeFile(path.join(outside, 'secret.nii.gz'), 'secret')
    paths = await ProjectPaths.forFolder(root)
  })
  afterEach(async () => {
    await rm(base, { recursive: true, force: true })
  })

  it('derives case files under their folders', async () => {
    expect(paths.image('c1')).toBe(path.join(paths.root, 'images', 'c1.nii.gz'))
    expect(paths.label('c1')).toBe(path.join(paths.root, 'labels', 'c1.nii.gz'))
    expect(paths.uncertainty('c1')).toBe(path.join(paths.root, 'predictions', 'c1.uncertainty.nii.gz'))
    expect(paths.journalSegment('c1', 2)).toBe(path.join(paths.root, 'journal', 'c1.000002.vxj'))
    await expect(paths.confine(paths.label('c1'))).resolves.toBe(paths.label('c1'))
  })

  it('refuses relative paths that climb out and absolute paths', () => {
    expect(() => paths.resolveRelative('../elsewhere/secret.nii.gz')).toThrow(expect.objectContaining({ code: 'PATH_OUTSIDE_PROJECT' }))
    expect(() => paths.resolveRelative('models/../../x')).toThrow(expect.objectContaining({ code: 'PATH_OUTSIDE_PROJECT' }))
    expect(() => paths.resolveRelative(path.join(outside, 'secret.nii.gz'))).toThrow(
      expect.objectContaining({ code: 'PATH_OUTSIDE_PROJECT' })
    )
    expect(() => paths.resolveRelative('C:\\x')).toThrow(expect.objectContaining({ code: 'PATH_OUTSIDE_PROJECT' }))
    expect(paths.resolveRelative('models/v1/model.json')).toBe(path.join(paths.root, 'models', 'v1', 'model.json'))
  })

  it('refuses ids that would climb out', () => {
    expect(() => paths.image('../../elsewhere/secret')).toThrow(expect.objectContaining({ code: 'PATH_OUTSIDE_PROJECT' }))
    expect(() => paths.modelDir('..')).toThrow(expect.objectContaining({ code: 'PATH_OUTSIDE_PROJECT' }))
  })

  it('refuses a case file that is a symlink to a file outside', async () => {
    await symlink(path.join(outside, 'secret.nii.gz'), path.join(root, 'labels', 'evil.nii.gz'))
    await expect(paths.confine(paths.label('evil'))).rejects.toMatchObject({ code: 'PATH_OUTSIDE_PROJECT' })
  })

  it('refuses files under a project folder that is a symlink to outside, even when missing', async () => {
    await symlink(outside, path.join(root, 'images'))
    await expect(paths.confine(paths.image('secret'))).rejects.toMatchObject({ code: 'PATH_OUTSIDE_PROJECT' })
    await expect(paths.confine(paths.image('not-there-yet'))).rejects.toMatchObject({ code: 'PATH_OUTSIDE_PROJECT' })
  })

  it('refuses a dangling symlink', async () => {
    await symlink(path.join(outside, 'gone.nii.gz'), path.join(root, 'labels', 'dangling.nii.gz'))
    await expect(paths.confine(paths.label('dangling'))).rejects.toMatchObject({ code: 'PATH_OUTSIDE_PROJECT' })
  })

  it('accepts a symlink that stays inside the project', async () => {
    await writeFile(path.join(root, 'labels', 'real.nii.gz'), 'x')
    await symlink(path.join(root, 'labels', 'real.nii.gz'), path.join(root, 'labels', 'alias.nii.gz'))
    await expect(paths.confine(paths.label('alias'))).resolves.toBe(paths.label('alias'))
  })

  it('resolves a project folder reached through a symlink to its real path', async () => {
    const link = path.join(base, 'link-to-project')
    await symlink(root, link)
    const viaLink = await ProjectPaths.forFolder(link)
    expect(viaLink.root).toBe(paths.root)
  })

  it('reports a missing folder as NOT_A_PROJECT', async () => {
    await expect(ProjectPaths.forFolder(path.join(base, 'nope'))).rejects.toMatchObject({ code: 'NOT_A_PROJECT' })
  })
})
