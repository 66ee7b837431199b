import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { readJsonChecked } from '../../../../src/node/storage/readJsonChecked'
import { readRunRecord } from '../../../../src/engine/train/runRecord'

const dir = mkdtempSync(path.join(tmpdir(), 'voxloop-read-json-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const Schema = z.object({ count: z.number().int() })

describe('readJsonChecked', () => {
  it('reads what the schema describes; a missing file is null, or what onMissing throws', async () => {
    const file = path.join(dir, 'good.json')
    writeFileSync(file, '{"count": 3}')
    expect(await readJsonChecked(file, Schema, 'a counter')).toEqual({ count: 3 })
    expect(await readJsonChecked(path.join(dir, 'absent.json'), Schema, 'a counter')).toBeNull()
    await expect(
      readJsonChecked(path.join(dir, 'absent.json'), Schema, 'a counter', (error) => {
        throw new Error(`custom: ${(error as NodeJS.ErrnoException).code}`)
      })
    ).rejects.toThrow('custom: ENOENT')
  })

  it('names the file for bad JSON and for the first schema issue (MODEL_CORRUPT)', async () => {
    const bad = path.join(dir, 'bad.json')
    writeFileSync(bad, '{"count": ')
    await expect(readJsonChecked(bad, Schema, 'a counter')).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: `${bad}: not valid JSON` })
    const wrong = path.join(dir, 'wrong.json')
    writeFileSync(wrong, '{"count": 1.5}')
    await expect(readJsonChecked(wrong, Schema, 'a counter')).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringMatching(new RegExp(`^${wrong.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a counter \\(count: `)) })
  })

  it("gives run.json's own errors: NOT_FOUND for a folder without one, MODEL_CORRUPT naming the field", async () => {
    await expect(readRunRecord(dir)).rejects.toMatchObject({ code: 'NOT_FOUND', message: `${dir} is not a trained model version (no run.json)` })
    writeFileSync(path.join(dir, 'run.json'), '{"formatVersion": 1}')
    await expect(readRunRecord(dir)).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringContaining(`${path.join(dir, 'run.json')}: not a valid run record (`) })
  })
})
