import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { expect, test, type WebSocket } from '@playwright/test'
import { startServedApp, type ServedApp } from './fixtures/serveApp'
import { WorkspacePage } from './fixtures/workspacePage'

/**
 * Serve mode's token must reach no other origin. Cookies are not isolated by port, so a session
 * cookie set by `voxloop serve` on 127.0.0.1 went to every other web server on 127.0.0.1 too. Here a
 * second, plain server on another port records everything the browser sends it after Voxloop has
 * been opened and used, and none of it may carry the token.
 */

interface SeenRequest {
  url: string
  headers: IncomingHttpHeaders
}

let served: ServedApp
let other: Server
let otherOrigin: string
let projectsDir: string
const seen: SeenRequest[] = []

/** The other server's page loads an image and makes a credentialed fetch to its own origin. */
const OTHER_PAGE = `<!doctype html><title>other</title><img src="/pixel.png" alt="">
<script>fetch('/fetch', { credentials: 'include' }).then(() => { document.title = 'fetched' })</script>`

test.beforeAll(async () => {
  served = await startServedApp()
  projectsDir = await mkdtemp(path.join(os.tmpdir(), 'voxloop-e2e-isolation-'))
  other = createServer((request, response) => {
    seen.push({ url: request.url ?? '', headers: request.headers })
    if (request.url === '/page') {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      response.end(OTHER_PAGE)
      return
    }
    response.writeHead(200, { 'Content-Type': 'text/plain' })
    response.end('ok')
  })
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', () => resolve()))
  otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
})

test.afterAll(async () => {
  await served?.stop()
  await new Promise<void>((resolve) => (other ? other.close(() => resolve()) : resolve()))
  if (projectsDir) await rm(projectsDir, { recursive: true, force: true })
})

test('the access token reaches no other server on 127.0.0.1, and the app works without a cookie', async ({ page }) => {
  test.setTimeout(120_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const eventSockets: WebSocket[] = []
  page.on('websocket', (socket) => {
    if (socket.url().endsWith('/api/events')) eventSockets.push(socket)
  })

  await page.goto(served.url)
  await expect(page.getByTestId('start-page')).toBeVisible()
  // The page took the token from the fragment and dropped it from the address bar.
  expect(page.url()).not.toContain(served.token)

  // API calls work: create a project and see it open.
  await new WorkspacePage(page).createProject(path.join(projectsDir, 'isolation'), 'Isolation check')

  // The event socket is authorised too: an engine restart sends engine:status over it.
  await expect.poll(() => eventSockets.length).toBeGreaterThan(0)
  const events = eventSockets[eventSockets.length - 1] as WebSocket
  const received = events.waitForEvent('framereceived', { predicate: (frame) => String(frame.payload).includes('"engine:status"'), timeout: 60_000 })
  await page.getByTestId('close-project').click()
  await page.getByTestId('backend-choice').selectOption('cpu')
  await received
  expect(events.isClosed()).toBe(false)

  // Now the browser talks to the other server: a navigation started by Voxloop's page (Referer),
  // a direct visit, and that server's own subresource and credentialed fetch (cookies).
  await page.evaluate((url) => {
    window.location.href = url
  }, `${otherOrigin}/from-voxloop`)
  await page.waitForURL(`${otherOrigin}/from-voxloop`)
  await page.goto(`${otherOrigin}/page`)
  await expect(page).toHaveTitle('fetched')
  await expect.poll(() => seen.some((r) => r.url === '/pixel.png')).toBe(true)

  expect(seen.map((r) => r.url).sort()).toEqual(expect.arrayContaining(['/fetch', '/from-voxloop', '/page', '/pixel.png']))
  for (const request of seen) {
    const sent = JSON.stringify(request)
    expect(sent, `${request.url} carried the token`).not.toContain(served.token)
    expect(sent, `${request.url} carried the token`).not.toContain(encodeURIComponent(served.token))
    expect(request.headers.cookie ?? '', `${request.url} carried a Voxloop cookie`).not.toMatch(/voxloop/i)
  }

  // Back on Voxloop without the fragment: this tab kept the token, so API calls still work.
  await page.goto(`${served.origin}/`)
  await expect(page.getByTestId('recent-projects')).toContainText('Isolation check')
  expect(errors).toEqual([])
})
