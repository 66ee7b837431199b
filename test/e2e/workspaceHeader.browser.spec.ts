/**
 * The workspace header's save note fits (issue #15 follow-up): "Unsaved changes — safe in the
 * journal" was cut to "Unsaved changes — safe i…" at 1440×900 and narrower. Every save state the
 * page can be put in is checked at 1440×900 and 1280×800: the note is not clipped, nothing in the
 * header is pushed past its edge, and the full sentence is the note's tooltip. The failing states
 * are produced by answering the page's journal requests here (the server's own refusals and a full
 * disk are tested in emptyLabelTable and diskFull specs); nothing else is stubbed.
 */
import path from 'node:path'
import { expect, test, type Page, type Route } from '@playwright/test'
import { SCREENSHOT_DIR, saveScreenshot } from './fixtures/screenshots'
import { serveForThisFile } from './fixtures/tinyTraining'
import { WorkspacePage } from './fixtures/workspacePage'

const served = serveForThisFile()
test.use({ actionTimeout: 30_000 })

const VIEWPORTS = [
  { width: 1440, height: 900 },
  { width: 1280, height: 800 }
]

interface Fit {
  text: string
  title: string
  scrollWidth: number
  clientWidth: number
  noteRight: number
  headerRight: number
  headerScroll: number
  headerClient: number
}

async function measure(page: Page): Promise<Fit> {
  return page.evaluate(() => {
    const note = document.querySelector('[data-testid="save-state"]') as HTMLElement
    const header = note.closest('header') as HTMLElement
    return {
      text: note.textContent ?? '',
      title: note.title,
      scrollWidth: note.scrollWidth,
      clientWidth: note.clientWidth,
      noteRight: note.getBoundingClientRect().right,
      headerRight: header.getBoundingClientRect().right,
      headerScroll: header.scrollWidth,
      headerClient: header.clientWidth
    }
  })
}

/** The note in `state` fits at both sizes; a picture of the header at each. */
async function expectFits(page: Page, state: string, text: string, title: RegExp): Promise<void> {
  await expect.poll(() => page.getByTestId('save-state').getAttribute('data-state'), { timeout: 20_000 }).toBe(state)
  await expect(page.getByTestId('save-state')).toHaveText(text)
  for (const size of VIEWPORTS) {
    await page.setViewportSize(size)
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
    const fit = await measure(page)
    const where = `${state} at ${size.width}×${size.height}: ${JSON.stringify(fit)}`
    expect(fit.scrollWidth, where).toBeLessThanOrEqual(fit.clientWidth)
    expect(fit.clientWidth, where).toBeGreaterThan(0)
    expect(fit.noteRight, where).toBeLessThanOrEqual(fit.headerRight)
    // Nothing in the header (the layout buttons at its right end) is pushed out of it.
    expect(fit.headerScroll, where).toBeLessThanOrEqual(fit.headerClient)
    expect(fit.title, where).toMatch(title)
    await page.locator('header.bar').screenshot({ path: path.join(SCREENSHOT_DIR, `workspace-header-${state}${text.startsWith('Disk full') ? '-disk-full' : ''}-${size.width}.png`) })
  }
}

test('the save note fits the workspace header in every save state at 1440×900 and 1280×800', async ({ page }) => {
  test.setTimeout(240_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.setViewportSize(VIEWPORTS[0] as { width: number; height: number })
  await page.goto(served().url)
  const workspace = new WorkspacePage(page)
  await workspace.openDemoCase('demo-03')

  // The journal and save requests, answered as each state needs.
  let editMode: 'pass' | 'hold' | 'error' | 'disk-full' | 'refuse' = 'pass'
  const heldEdits: Route[] = []
  await page.route('**/api/labels:edit', async (route) => {
    if (editMode === 'pass') return route.continue()
    if (editMode === 'hold') {
      heldEdits.push(route)
      return
    }
    const error =
      editMode === 'refuse'
        ? { status: 400, code: 'INVALID_ARGUMENT', message: "label 2 is not in the project's label table" }
        : editMode === 'disk-full'
          ? { status: 507, code: 'DISK_FULL', message: 'no space left on the disk that holds the project' }
          : { status: 503, code: 'INTERNAL', message: 'the server did not answer in time' }
    return route.fulfill({ status: error.status, contentType: 'application/json', body: JSON.stringify({ code: error.code, message: error.message }) })
  })
  let heldSave: Route | null = null
  let holdSave = false
  await page.route('**/api/labels:save', async (route) => {
    if (holdSave) heldSave = route
    else await route.continue()
  })

  await page.getByTestId('tool-brush').click()
  await page.keyboard.press('2')
  let row = 0.3
  const stroke = async (): Promise<void> => {
    const start = await workspace.at('axial', 0.3, row)
    const end = await workspace.at('axial', 0.45, row)
    row += 0.08
    await page.mouse.move(start.x, start.y)
    await page.mouse.down()
    await page.mouse.move(end.x, end.y, { steps: 6 })
    await page.mouse.up()
  }

  await expectFits(page, 'saved', 'Saved', /^Saved: /)

  editMode = 'hold'
  await stroke()
  await expectFits(page, 'journaling', 'Recording…', /crash-safe journal/)
  editMode = 'pass'
  for (const route of heldEdits.splice(0)) await route.continue()
  await expectFits(page, 'unsaved', 'Unsaved (journaled)', /^Unsaved changes — safe in the journal on disk/)
  await saveScreenshot(page, 'workspace-header-unsaved-page')

  holdSave = true
  await page.getByTestId('save').click()
  await expectFits(page, 'saving', 'Saving…', /Saving the label file/)
  holdSave = false
  await expect.poll(() => heldSave !== null).toBe(true)
  await (heldSave as Route | null)?.continue()
  await expectFits(page, 'saved', 'Saved', /^Saved: /)

  // A passing failure: the page keeps the strokes and resends them every second.
  editMode = 'error'
  await stroke()
  await expectFits(page, 'error', 'Not on disk — retrying', /^Edits not yet on disk — retrying.*the server did not answer in time\)$/)
  editMode = 'disk-full'
  await expectFits(page, 'error', 'Disk full — strokes kept', /^Disk full: your last strokes are kept/)
  // A refusal: kept, not resent until its cause is gone.
  editMode = 'refuse'
  await expectFits(page, 'refused', 'Edits refused — kept', /^Edits not recorded — the project refused them.*label 2 is not in the project's label table/)
  await saveScreenshot(page, 'workspace-header-refused-page')
  expect(errors).toEqual([])
})
