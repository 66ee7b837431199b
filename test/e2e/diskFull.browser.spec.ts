/**
 * A full disk in the app, as a user meets it: strokes painted while the project's disk is full are
 * refused by the journal, the header says so plainly, the strokes stay in the page and are saved
 * once space is free; after a crash (SIGKILL) every one of them is in the label.
 */
import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { readLabelNifti } from '../../src/node/formats/nifti'
import { startServedApp } from './fixtures/serveApp'
import { saveScreenshot } from './fixtures/screenshots'
import { WorkspacePage } from './fixtures/workspacePage'

/** Mounts a 48 MiB tmpfs on `dir`; null on success, else why not. */
function mountTmpfs(dir: string): string | null {
  if (process.platform !== 'linux') return `a tmpfs can only be mounted on Linux (this is ${process.platform})`
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', dir], { stdio: 'pipe' })
    return null
  } catch (error) {
    return `mounting a small tmpfs needs root or CAP_SYS_ADMIN: ${(error as { stderr?: Buffer }).stderr?.toString().trim() ?? (error as Error).message}`
  }
}

/** Writes zeros until the file system refuses. */
function fillUp(file: string): void {
  const fd = openSync(file, 'a')
  try {
    for (let chunk = 1 << 20; chunk >= 512; chunk >>= 1) {
      const zeros = Buffer.alloc(chunk)
      for (;;) {
        try {
          if (writeSync(fd, zeros) < chunk) break
        } catch {
          break
        }
      }
    }
  } finally {
    closeSync(fd)
  }
}

test('strokes painted on a full disk are kept, said to be kept, saved when space is free, and survive a crash', async ({ page }) => {
  test.setTimeout(240_000)
  const mount = await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-diskfull-'))
  const failure = mountTmpfs(mount)
  test.skip(failure !== null, `Disk-full browser test skipped: ${failure ?? ''}`)
  const home = path.join(mount, 'home')
  mkdirSync(home)
  const filler = path.join(mount, 'filler.bin')
  let first: Awaited<ReturnType<typeof startServedApp>> | null = null
  try {
    first = await startServedApp({ home })
    await page.goto(first.url)
    const workspace = new WorkspacePage(page)
    await workspace.openDemoCase('demo-03')
    const labelFile = path.join(home, 'demo-project', 'labels', 'demo-03.nii.gz')
    const before = await readLabelNifti(labelFile)
    await page.getByTestId('tool-brush').click()
    await page.keyboard.press('2')
    const stroke = async (from: [number, number], to: [number, number]): Promise<void> => {
      const start = await workspace.at('axial', ...from)
      const end = await workspace.at('axial', ...to)
      await page.mouse.move(start.x, start.y)
      await page.mouse.down()
      await page.mouse.move(end.x, end.y, { steps: 8 })
      await page.mouse.up()
    }
    await stroke([0.3, 0.3], [0.45, 0.3])
    await expect.poll(() => workspace.saveState()).toBe('unsaved')
    const onFirst = (await workspace.hover(await workspace.at('axial', 0.38, 0.3))).point

    fillUp(filler)
    // A wide stroke: its journal record (5 bytes a voxel) is far larger than the slack left in the
    // journal file's last page, which a small record could still use on a full disk.
    await page.getByTestId('brush-radius').fill('12')
    await stroke([0.3, 0.6], [0.6, 0.6])
    await expect.poll(() => workspace.saveState(), { timeout: 20_000 }).toBe('error')
    const onSecond = (await workspace.hover(await workspace.at('axial', 0.45, 0.6))).point
    await expect(page.getByTestId('save-state')).toHaveText('Disk full — strokes kept')
    await expect(page.getByTestId('disk-full-alert')).toContainText('Disk full: your last strokes are kept in memory and will be saved when space is free')
    await saveScreenshot(page, 'disk-full-strokes-kept')

    rmSync(filler)
    // The page resends the kept strokes every second; once written they are safe in the journal.
    await expect.poll(() => workspace.saveState(), { timeout: 20_000 }).toBe('unsaved')
    await expect(page.getByTestId('disk-full-alert')).toHaveCount(0)
    await first.kill()

    const second = await startServedApp({ home })
    try {
      await page.goto(second.url)
      await page.getByTestId('recent-projects').getByText('Voxloop demo').click()
      await expect(page.getByTestId('recovery-notice')).toContainText('demo-03')
      const after = await readLabelNifti(labelFile)
      // Both strokes are in the label: the one acknowledged before the disk filled, and the one
      // painted on the full disk (kept in the page, written after space came back).
      const [nx, ny] = after.header.dims
      // The cursor reports continuous voxel coordinates: the voxel is the nearest one.
      const index = (point: [number, number, number]): number => {
        const [i, j, k] = point.map(Math.round) as [number, number, number]
        return i + nx * (j + ny * k)
      }
      const at = (point: [number, number, number]): number => after.data[index(point)] as number
      expect(at(onFirst)).toBe(2)
      expect(at(onSecond)).toBe(2)
      expect(before.data[index(onSecond)]).not.toBe(2)
    } finally {
      await second.stop()
    }
  } finally {
    await first?.stop()
    rmSync(filler, { force: true })
    // Lazy: a server still closing its files must not turn the test's own failure into EBUSY.
    try {
      execFileSync('umount', ['-l', mount], { stdio: 'pipe' })
    } catch {
      // Not mounted (skipped).
    }
    await rm(mount, { recursive: true, force: true }).catch(() => undefined)
  }
})
