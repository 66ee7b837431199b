import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP_RENDERER_URL, APP_SCHEME_PRIVILEGES, resolveAppRequest, respondToAppRequest } from '../../../../src/main/electron/appProtocol'
import { contentSecurityPolicy } from '../../../../src/shared/csp'

const root = path.resolve('/srv/voxloop/renderer')

function inside(file: string, dir: string): boolean {
  return file.startsWith(dir + path.sep)
}

describe('resolveAppRequest: app://voxloop/ URL → file in the renderer folder', () => {
  it.each([
    ['app://voxloop/', 'index.html', 'text/html; charset=utf-8'],
    ['app://voxloop/index.html', 'index.html', 'text/html; charset=utf-8'],
    ['app://voxloop/index.html?x=1#/case/3', 'index.html', 'text/html; charset=utf-8'],
    ['app://voxloop/assets/index-AbC1.js', 'assets/index-AbC1.js', 'text/javascript; charset=utf-8'],
    ['app://voxloop/assets/index-AbC1.css', 'assets/index-AbC1.css', 'text/css; charset=utf-8'],
    ['app://voxloop/assets/kernels.wasm', 'assets/kernels.wasm', 'application/wasm'],
    ['app://voxloop/assets/KERNELS.WASM', 'assets/KERNELS.WASM', 'application/wasm'],
    ['app://voxloop/favicon.svg', 'favicon.svg', 'image/svg+xml'],
    ['app://voxloop/fonts/inter.woff2', 'fonts/inter.woff2', 'font/woff2'],
    ['app://voxloop/data/blob.bin', 'data/blob.bin', 'application/octet-stream'],
    ['app://voxloop/with%20space.js', 'with space.js', 'text/javascript; charset=utf-8'],
    // The URL parser folds dot segments before we see the path: these stay inside the root.
    ['app://voxloop/../../etc/passwd', 'etc/passwd', 'application/octet-stream'],
    ['app://voxloop/assets/%2e%2e/index.html', 'index.html', 'text/html; charset=utf-8']
  ])('%s → %s (%s)', (url, relative, contentType) => {
    expect(resolveAppRequest(root, url)).toEqual({ file: path.join(root, relative), contentType })
  })

  it.each([
    ['an encoded ../ that would leave the root', 'app://voxloop/..%2F..%2Fetc%2Fpasswd'],
    ['an encoded ../ after a folder', 'app://voxloop/assets/..%2F..%2F..%2Fsecret.txt'],
    ['a backslash (a separator on Windows)', 'app://voxloop/..%5C..%5Csecret.txt'],
    ['a NUL byte', 'app://voxloop/index.html%00.png'],
    ['a malformed escape', 'app://voxloop/%E0%A4%A'],
    ['another host', 'app://evil/index.html'],
    ['a user in the authority', 'app://user:pw@voxloop/index.html'],
    ['another scheme', 'file:///srv/voxloop/renderer/index.html'],
    ['http', 'http://voxloop/index.html'],
    ['not a URL', 'index.html']
  ])('refuses %s', (_why, url) => {
    expect(resolveAppRequest(root, url)).toBeNull()
  })

  it('never returns a file outside the root, whatever the path', () => {
    const pieces = ['..', '%2e%2e', '%2E%2E', '.', '%2f', '%2F', 'a', 'assets', '%252e%252e', '..%2f', '%c0%ae%c0%ae', '~', '']
    let checked = 0
    for (const a of pieces) for (const b of pieces) for (const c of pieces) {
      const resolved = resolveAppRequest(root, `app://voxloop/${a}/${b}/${c}`)
      if (resolved) expect(inside(resolved.file, root)).toBe(true)
      checked++
    }
    expect(checked).toBe(pieces.length ** 3)
  })

  it('is privileged as a standard, secure scheme that fetch() may use', () => {
    expect(APP_SCHEME_PRIVILEGES).toEqual({ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } })
    expect(APP_RENDERER_URL).toBe('app://voxloop/index.html')
  })
})

describe('respondToAppRequest: what the protocol handler answers', () => {
  let tmp = ''
  let rendererDir = ''

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'voxloop-app-protocol-'))
    rendererDir = path.join(tmp, 'renderer')
    await mkdir(path.join(rendererDir, 'assets'), { recursive: true })
    await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Voxloop</title>')
    await writeFile(path.join(rendererDir, 'assets', 'k.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))
    await writeFile(path.join(rendererDir, 'assets', 'surfaceWorker-AbC1.js'), '(function(){"use strict";self.onmessage=()=>{}})();')
    await writeFile(path.join(tmp, 'secret.txt'), 'not for the page')
    // A link inside the folder that points out of it: its real path is checked, not just its name.
    await symlink(path.join(tmp, 'secret.txt'), path.join(rendererDir, 'assets', 'escape.txt'))
  })

  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true })
  })

  it('serves index.html for / with the production CSP header (frame-ancestors included) and nosniff', async () => {
    const response = await respondToAppRequest(rendererDir, { method: 'GET', url: 'app://voxloop/' })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('<!doctype html><title>Voxloop</title>')
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(response.headers.get('content-security-policy')).toBe(contentSecurityPolicy())
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(response.headers.get('content-security-policy')).not.toContain('unsafe-inline')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('serves .wasm as application/wasm, byte for byte', async () => {
    const response = await respondToAppRequest(rendererDir, { method: 'GET', url: 'app://voxloop/assets/k.wasm' })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/wasm')
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])
  })

  // `new Worker(url, { type: 'module' })` checks the MIME type strictly (no sniffing with nosniff),
  // and the worker runs under the CSP of its own response: both must let a same-origin worker run.
  it('serves a module worker bundle as JavaScript under a CSP that lets it run and start workers from the app', async () => {
    const response = await respondToAppRequest(rendererDir, { method: 'GET', url: 'app://voxloop/assets/surfaceWorker-AbC1.js' })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    const directives = new Map(
      (response.headers.get('content-security-policy') ?? '').split(';').map((d) => {
        const [name = '', ...values] = d.trim().split(/\s+/)
        return [name, values] as const
      })
    )
    expect(directives.get('script-src')).toContain("'self'")
    expect(directives.get('worker-src')).toContain("'self'")
    expect(await response.text()).toBe('(function(){"use strict";self.onmessage=()=>{}})();')
  })

  it.each([
    ['a missing file', 'app://voxloop/assets/nope.js'],
    ['a folder', 'app://voxloop/assets'],
    ['a symlink whose target is outside the folder', 'app://voxloop/assets/escape.txt'],
    ['an encoded escape', 'app://voxloop/..%2Fsecret.txt'],
    ['another host', 'app://other/index.html']
  ])('answers 404 for %s, with the CSP still set', async (_why, url) => {
    const response = await respondToAppRequest(rendererDir, { method: 'GET', url })
    expect(response.status).toBe(404)
    expect(await response.text()).toBe('Not found')
    expect(response.headers.get('content-security-policy')).toBe(contentSecurityPolicy())
  })

  it('answers 405 to anything but GET and HEAD', async () => {
    expect((await respondToAppRequest(rendererDir, { method: 'POST', url: 'app://voxloop/index.html' })).status).toBe(405)
    const head = await respondToAppRequest(rendererDir, { method: 'HEAD', url: 'app://voxloop/index.html' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })
})
