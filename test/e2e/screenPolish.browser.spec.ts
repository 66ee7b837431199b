import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test, type Locator, type Page } from '@playwright/test'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { SCREENSHOT_DIR, saveScreenshot } from './fixtures/screenshots'
import { SHARED_DATA_DIR } from './fixtures/sharedData'
import { WorkspacePage } from './fixtures/workspacePage'

/**
 * Issue #15's layout polish, measured at the 1440×900 the report was made at (playwright.config.ts):
 * element boxes rather than pixels, so that a font change does not break the tests but a button
 * outside its card, a name running under a date, an id split over two lines or a figure cut without
 * a tooltip does.
 */

let served: ServedApp
let scratch: string

test.beforeAll(async () => {
  served = await startServedApp()
  scratch = await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-polish-'))
})

test.afterAll(async () => {
  await served?.stop()
  if (scratch) await rm(scratch, { recursive: true, force: true })
})

interface Box {
  x: number
  y: number
  width: number
  height: number
}

async function box(locator: Locator): Promise<Box> {
  const found = await locator.boundingBox()
  if (!found) throw new Error(`no box for ${locator.toString()}`)
  return found
}

/** `inner` lies inside `outer` (half a pixel of rounding allowed). */
function expectInside(inner: Box, outer: Box, what: string): void {
  const slack = 0.5
  expect(inner.x, `${what}: left edge`).toBeGreaterThanOrEqual(outer.x - slack)
  expect(inner.y, `${what}: top edge`).toBeGreaterThanOrEqual(outer.y - slack)
  expect(inner.x + inner.width, `${what}: right edge`).toBeLessThanOrEqual(outer.x + outer.width + slack)
  expect(inner.y + inner.height, `${what}: bottom edge`).toBeLessThanOrEqual(outer.y + outer.height + slack)
}

/** Whether the element's own text is cut (wider than the box that shows it). */
async function isCut(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element.scrollWidth > element.clientWidth + 1)
}

/** How many lines an element's text occupies: distinct line tops of its text's client rectangles. */
async function lineCount(locator: Locator): Promise<number> {
  return locator.evaluate((element) => {
    const range = document.createRange()
    range.selectNodeContents(element)
    // Zero-width rectangles are collapsed white space, not a line of text.
    const rects = Array.from(range.getClientRects()).filter((rect) => rect.width > 0)
    return new Set(rects.map((rect) => Math.round(rect.top))).size
  })
}

/** Lines over which `part` of an element's text is laid out (the element's text nodes joined). */
async function substringLineCount(locator: Locator, part: string): Promise<number> {
  return locator.evaluate((element, wanted) => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT)
    const nodes: Text[] = []
    for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node as Text)
    const whole = nodes.map((n) => n.data).join('')
    const start = whole.indexOf(wanted)
    if (start < 0) throw new Error(`"${wanted}" is not in "${whole}"`)
    const tops = new Set<number>()
    let offset = 0
    for (const node of nodes) {
      const from = Math.max(start, offset)
      const to = Math.min(start + wanted.length, offset + node.data.length)
      if (from < to) {
        const range = document.createRange()
        range.setStart(node, from - offset)
        range.setEnd(node, to - offset)
        for (const rect of Array.from(range.getClientRects())) if (rect.width > 0) tops.add(Math.round(rect.top))
      }
      offset += node.data.length
    }
    return tops.size
  }, part)
}

async function statusBarShot(page: Page, name: string): Promise<void> {
  await page.getByTestId('status-bar').screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) })
}

test('start page: every button stays inside its card', async ({ page }) => {
  await page.goto(served.url)
  await expect(page.getByTestId('start-page')).toBeVisible()
  const create = page.getByTestId('new-project-create')
  expectInside(await box(create), await box(page.getByTestId('new-project-form')), 'Create inside its form')
  // Every button, field and select of every card, not only the one reported.
  const cards = page.locator('.panels > .panel')
  expect(await cards.count()).toBeGreaterThanOrEqual(4)
  for (const card of await cards.all()) {
    const cardBox = await box(card)
    for (const control of await card.locator('button, input, select').all()) {
      const name = (await control.getAttribute('data-testid')) ?? (await control.textContent()) ?? 'control'
      expectInside(await box(control), cardBox, `${name} inside its card`)
    }
  }
  // The demo's folder breaks between folders, if at all, not after the hyphen of "demo-project".
  await expect(page.getByTestId('demo-folder')).toContainText('demo-project')
  expect(await substringLineCount(page.getByTestId('demo-folder'), 'demo-project')).toBe(1)
  await saveScreenshot(page, 'polish-start-page')
})

test('status bar: version, backend, cores and memory are never cut; anything cut has its full text in a tooltip', async ({ page }) => {
  for (const width of [1440, 1100]) {
    await page.setViewportSize({ width, height: 900 })
    await page.goto(served.url)
    await expect(page.getByTestId('compute-reason')).toContainText('first available')
    await expect(page.getByTestId('gpu')).toBeVisible()
    const bar = await box(page.getByTestId('status-bar'))
    for (const id of ['compute-backend', 'backend-choice', 'memory']) {
      const item = page.getByTestId(id)
      expect(await isCut(item), `${id} cut at ${width} px`).toBe(false)
      expectInside(await box(item), bar, `${id} at ${width} px`)
    }
    const brand = page.locator('[data-testid="status-bar"] .brand')
    expect(await isCut(brand), `version cut at ${width} px`).toBe(false)
    expectInside(await box(page.getByTestId('app-version')), await box(brand), `version at ${width} px`)
    const cpu = page.getByTestId('cpu')
    expectInside(await box(page.getByTestId('cpu-cores')), await box(cpu), `core count at ${width} px`)
    expectInside(await box(cpu), bar, `CPU at ${width} px`)
    await expect(page.getByTestId('memory')).toHaveText(/Memory: \d+\.\d GiB free of \d+\.\d GiB/)
    // The CPU and GPU model names and the backend's reasoning may be cut, but their tooltips say it all.
    const cpuText = ((await cpu.textContent()) ?? '').replace(/\s+/g, ' ').replace(/^CPU: /, '').trim()
    expect(((await cpu.getAttribute('title')) ?? '').replace(/\s+/g, ' ')).toContain(cpuText)
    expect(await page.getByTestId('gpu').getAttribute('title')).toMatch(/GPU|GiB|driver/)
    expect(await page.getByTestId('compute-reason').getAttribute('title')).toContain('Why: ')
    expect(await page.getByTestId('memory').getAttribute('title')).toMatch(/free/)
    // Whatever text is cut has a tooltip (on it or the item holding it) with that text in full.
    const texts = page.locator('[data-testid="status-bar"] .item, [data-testid="status-bar"] .item *')
    for (const element of await texts.all()) {
      if (!(await element.evaluate((e) => getComputedStyle(e).display !== 'inline'))) continue
      if (!(await isCut(element))) continue
      const text = ((await element.textContent()) ?? '').replace(/\s+/g, ' ').trim().replace(/^— /, '')
      const title = await element.evaluate((e) => e.closest('[title]')?.getAttribute('title') ?? '')
      expect(title.replace(/\s+/g, ' '), `tooltip of the cut text "${text}" at ${width} px`).toContain(text)
    }
    await statusBarShot(page, `polish-status-bar-${width}`)
  }
})

test('status bar: an error is shown readable, its whole text in the tooltip, and goes once the cause does', async ({ page }) => {
  await page.goto(served.url)
  await expect(page.getByTestId('compute-reason')).toContainText('first available')
  // The server stops answering (as when `voxloop serve` was stopped): the next refresh of the
  // machine figures fails with a long message. (The backend menu no longer offers a backend that
  // cannot start, the other way to an error here.)
  await page.route('**/api/system:info', (route) => route.abort('connectionrefused'))
  const error = page.getByTestId('system-error')
  await expect(error).toContainText('could not be refreshed', { timeout: 20_000 })
  await expect(error).toContainText('voxloop serve')
  const text = ((await error.textContent()) ?? '').trim()
  expect(await error.getAttribute('title')).toBe(text)
  const errorBox = await box(error)
  expectInside(errorBox, await box(page.getByTestId('status-bar')), 'the error')
  // At least 300 px of it (about 50 characters) is on screen, or all of it.
  const fullWidth = await error.evaluate((element) => element.scrollWidth)
  expect(errorBox.width).toBeGreaterThanOrEqual(Math.min(fullWidth, 300) - 1)
  // The figures that never shrink are still whole beside it.
  for (const id of ['compute-backend', 'cpu-cores', 'memory']) expect(await isCut(page.getByTestId(id)), `${id} beside the error`).toBe(false)
  await statusBarShot(page, 'polish-status-bar-error')
  await page.unroute('**/api/system:info')
  await expect(error).toHaveCount(0, { timeout: 20_000 })
})

test('status bar: the machine figures are asked for again while the page is open (free memory is not frozen)', async ({ page }) => {
  let infoRequests = 0
  page.on('request', (request) => {
    if (request.url().endsWith('/api/system:info')) infoRequests++
  })
  await page.goto(served.url)
  await expect(page.getByTestId('memory')).toBeVisible()
  const first = infoRequests
  expect(first).toBeGreaterThanOrEqual(1)
  // The store asks every 5 s; two more answers prove a timer, not a second mount.
  await expect.poll(() => infoRequests, { timeout: 20_000 }).toBeGreaterThanOrEqual(first + 2)
  await expect(page.getByTestId('memory')).toHaveAttribute('data-free-bytes', /^\d+$/)
})

test('case table: case ids stay on one line; a long one ends in an ellipsis with the whole id in its tooltip', async ({ page }) => {
  test.setTimeout(180_000)
  // Case ids as real datasets name them: BIDS entities and a DICOM UID, next to the demo's "demo-01".
  const source = path.join(scratch, 'long-ids')
  await mkdir(source, { recursive: true })
  const image = path.join(SHARED_DATA_DIR, 'labeled', 'msd_task04_hippocampus', 'imagesTr', 'hippocampus_001.nii.gz')
  const longIds = ['sub-ADNI002S0413_ses-baseline_acq-MPRAGE_run-01_T1w', '1.3.6.1.4.1.14519.5.2.1.6279.6001.105756658031515062000744821260']
  for (const id of longIds) await copyFile(image, path.join(source, `${id}.nii.gz`))

  const rows = page.locator('[data-testid="case-table"] tbody tr')
  /**
   * Each case id on one line, inside its cell; one cut names itself whole in its tooltip. At 1440 px
   * as reported, and at 1100 px, where the table is as crowded as the report's was with a model
   * version in every "Proposed by" cell.
   */
  const expectIdsOnOneLine = async (when: string): Promise<void> => {
    for (const width of [1440, 1100]) {
      await page.setViewportSize({ width, height: 900 })
      await expectIdsOnOneLineNow(`${when} at ${width} px`)
    }
  }
  const expectIdsOnOneLineNow = async (when: string): Promise<void> => {
    for (const row of await rows.all()) {
      const id = (await row.getAttribute('data-case')) ?? ''
      const button = page.getByTestId(`open-case-${id}`)
      expect(await lineCount(button), `lines of case id ${id} ${when}`).toBe(1)
      expectInside(await box(button), await box(row.locator('td').first()), `case id ${id} inside its cell ${when}`)
      if (await isCut(button)) expect(await button.getAttribute('title'), `tooltip of the cut id ${id}`).toContain(id)
    }
  }

  await page.goto(served.url)
  await page.getByTestId('create-demo').click()
  await expect(page.getByTestId('case-table')).toBeVisible({ timeout: 60_000 })
  // The demo as the report saw it: "demo-" on one line, "01" on the next.
  await expect(rows).toHaveCount(10)
  await expectIdsOnOneLine('in the demo')

  await new WorkspacePage(page).importPath(source, 'Imported 2 case(s)')
  for (const id of longIds) await expect(page.getByTestId(`open-case-${id}`)).toBeVisible()

  await expect(rows).toHaveCount(12)
  await expectIdsOnOneLine('beside long ids')
  // The UID is longer than any cell should be: it is the one cut, and its tooltip names it whole.
  expect(await isCut(page.getByTestId(`open-case-${longIds[1]}`))).toBe(true)
  // Nor do the headers, sizes and dates break into two lines.
  for (const header of await page.locator('[data-testid="case-table"] thead th').all()) expect(await lineCount(header), `header ${await header.textContent()}`).toBe(1)
  expect(await lineCount(page.locator('[data-case="demo-01"] td').nth(3))).toBe(1)
  await saveScreenshot(page, 'polish-case-table')
})

test('recent projects: a long name is cut before the date, never under it', async ({ page }) => {
  const names = [
    'Hippocampus_segmentation_left_and_right_temporal_lobes_cohort_2024_revision_3',
    'Liver and liver lesions from the portal venous phase, all sites, second reading'
  ]
  await page.goto(served.url)
  for (const [index, name] of names.entries()) {
    await new WorkspacePage(page).createProject(path.join(scratch, `project-${index}`), name)
    await page.getByTestId('close-project').click()
    await expect(page.getByTestId('start-page')).toBeVisible()
  }
  const items = page.locator('[data-testid="recent-projects"] li')
  // Two or more: the demo of the case table test is there too when the whole file runs.
  await expect(items.filter({ hasText: names[0] as string })).toHaveCount(1)
  expect(await items.count()).toBeGreaterThanOrEqual(names.length)
  // 1440 px as reported, and a window so narrow that the long names must be cut.
  for (const width of [1440, 760]) {
    await page.setViewportSize({ width, height: 900 })
    let cut = 0
    for (const item of await items.all()) {
      // Class selectors, which the page had before the fix too, so that the old layout is measured.
      const name = item.locator('.name')
      const when = item.locator('.when')
      const nameBox = await box(name)
      const whenBox = await box(when)
      const nameText = (await name.textContent()) ?? ''
      expect(nameBox.x + nameBox.width, `"${nameText}" ends before its date at ${width} px`).toBeLessThanOrEqual(whenBox.x)
      expect(await lineCount(name), `"${nameText}" on one line at ${width} px`).toBe(1)
      expect(await lineCount(when), `date of "${nameText}" on one line at ${width} px`).toBe(1)
      expectInside(nameBox, await box(item), `"${nameText}" inside its row at ${width} px`)
      if (await isCut(name)) {
        cut++
        expect(await item.locator('button.link').getAttribute('title')).toContain(nameText)
      }
    }
    if (width === 760) expect(cut, 'long names cut at 760 px').toBeGreaterThanOrEqual(2)
    if (width === 760) {
      // The start page scrolls inside itself; bring the list into the picture.
      await page.getByTestId('recent-projects').scrollIntoViewIfNeeded()
      await saveScreenshot(page, 'polish-recent-projects-narrow')
    }
    else await saveScreenshot(page, 'polish-recent-projects')
  }
})

test('training settings: the captions of a row of fields line up, and the epochs field shows its whole placeholder', async ({ page }) => {
  test.setTimeout(120_000)
  await page.goto(served.url)
  await new WorkspacePage(page).createDemo()
  await page.getByTestId('tab-models').click()
  await page.locator('button[title="Training settings"]').click()
  const settings = page.getByTestId('training-settings')
  // Each captioned field: its caption's top and its control's bottom (the row's flex line aligns bottoms).
  const fields = await settings.locator(':scope > label:not(.check)').evaluateAll((labels) =>
    labels.map((label) => {
      const range = document.createRange()
      range.selectNodeContents(label.firstChild as Node)
      const control = label.querySelector('input, select') as HTMLElement
      return { caption: (label.firstChild?.textContent ?? '').trim(), captionTop: range.getBoundingClientRect().top, bottom: Math.round(control.getBoundingClientRect().bottom) }
    })
  )
  const rows = new Map<number, typeof fields>()
  for (const field of fields) rows.set(field.bottom, [...(rows.get(field.bottom) ?? []), field])
  const firstRow = [...rows.values()].sort((a, b) => b.length - a.length)[0] ?? []
  // Number fields and selects share the first row (Epochs … Network): a 2 px step between them showed.
  expect(firstRow.map((f) => f.caption)).toEqual(expect.arrayContaining(['Epochs', 'Optimiser', 'Learning rate', 'Network']))
  for (const row of rows.values()) {
    const tops = row.map((f) => f.captionTop)
    expect(Math.max(...tops) - Math.min(...tops), `captions of ${row.map((f) => f.caption).join(', ')}`).toBeLessThanOrEqual(0.5)
  }
  // The placeholder's width against the room a number field gives text (its padding and the spin buttons' 15 px aside).
  const room = await page.getByTestId('train-epochs').evaluate((input: HTMLInputElement) => {
    const style = getComputedStyle(input)
    const context = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D
    context.font = style.font
    return { text: context.measureText(input.placeholder).width, room: input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 15 }
  })
  expect(room.text).toBeLessThanOrEqual(room.room)
  await settings.screenshot({ path: path.join(SCREENSHOT_DIR, 'polish-training-settings.png') })
})
