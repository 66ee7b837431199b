/**
 * Seeded fuzzing of import with real NIfTI files whose header and extension bytes are mutated (see
 * test/helpers/reliability/fuzzHarness.ts, which `npm run bench -- reliability` runs at 2,000
 * files): every file is imported or refused with a reason, none crashes or hangs the import, every
 * image Voxloop stored loads in nibabel and holds the voxels Voxloop read from the source.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { fuzzSourcesMissing, nibabelUnavailable, runImportFuzz } from '../../../../helpers/reliability/fuzzHarness'
import { describeUnless } from '../../../../helpers/skipWithReason'
import { makeTempDir, removeDir } from './projectFixtures'

const SEED = Number(process.env.VOXLOOP_FUZZ_SEED ?? 0x1e_2026)
const CASES_PER_SOURCE = Number(process.env.VOXLOOP_FUZZ_CASES ?? 100)

const unavailable = fuzzSourcesMissing ?? nibabelUnavailable()

let base: string

beforeAll(async () => {
  base = await makeTempDir('import-fuzz')
})

afterAll(async () => {
  await removeDir(base)
})

describeUnless(unavailable, 'import of files with mutated headers and extensions', () => {
  it(
    `stores only files that nibabel loads (${CASES_PER_SOURCE} mutations of each of 3 real files)`,
    async () => {
      // Each source's files in one folder imported in one call by a child process, as the bench runs them.
      const report = await runImportFuzz({ cases: 3 * CASES_PER_SOURCE, seed: SEED, workDir: base, batch: CASES_PER_SOURCE })
      expect(report.tried).toBe(3 * CASES_PER_SOURCE)
      // Every file is accounted for: imported, or refused with a coded reason; none crashed or hung.
      expect(report.folderFailures).toEqual([])
      expect(report.crashes).toEqual([])
      expect(report.hangs).toEqual([])
      expect(report.imported + report.refused).toBe(report.tried)
      // The copy Voxloop keeps must load elsewhere (before header repair, 150 of these did not).
      expect(report.unreadable).toEqual([])
      // Repairs touch header bytes only: the voxels Voxloop stored are the voxels it read.
      expect(report.voxelsChecked).toBe(report.imported)
      expect(report.voxelMismatches).toEqual([])
      // The mutations must exercise all three paths, or the fuzzer has stopped testing anything.
      expect(report.imported).toBeGreaterThan(60)
      expect(report.repaired).toBeGreaterThan(30)
      expect(report.refused).toBeGreaterThan(10)
    },
    120_000
  )
})
