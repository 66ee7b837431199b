import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { VoxloopApp } from '../../../../src/main/app/VoxloopApp'
import { forkEngine } from '../../../../src/main/engine/forkEngine'
import { MAX_JSON_BODY_BYTES, startServeServer, type RunningServer } from '../../../../src/main/serve/ServeServer'
import { EVENTS_PROTOCOL, eventSocketProtocols } from '../../../../src/shared/serveAuth'
import { decodeWire, encodeWire, WIRE_CONTENT_TYPE } from '../../../../src/shared/wire'
import { engineSpecFromSource } from '../../../helpers/engineUnderTsx'
import { rawExchange } from '../../../helpers/reliability/hostileTraffic'
import { buildNifti } from '../../../helpers/niftiBuilder'
import { createProjectWithCases, editOf } from '../services/project/projectFixtures'

let app: VoxloopApp
let server: RunningServer
let tmp: string
let base: string

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'voxloop-serve-'))
  const rendererDir = path.join(tmp, 'renderer')
  await mkdir(rendererDir)
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Voxloop</title>')
  await writeFile(path.join(tmp, 'secret.txt'), 'outside the renderer folder')
  app = await VoxloopApp.create({
    appVersion: '0.0.0-test',
    appDataDir: path.join(tmp, 'home'),
    host: { mode: 'serve' },
    engine: { launcher: forkEngine, spec: engineSpecFromSource() },
    backendOverride: 'cpu'
  })
  server = await startServeServer({ handlers: app.handlers, events: app.events, rendererDir, port: 0 })
  base = `http://127.0.0.1:${server.port}`
})

afterAll(async () => {
  await server?.close()
  await app?.dispose()
  await rm(tmp, { recursive: true, force: true })
})

const auth = (): Record<string, string> => ({ Authorization: `Bearer ${server.token}` })
const post = (channel: string, body: unknown, headers: Record<string, string> = auth()): Promise<Response> =>
  fetch(`${base}/api/${channel}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) })

describe('serve mode', () => {
  it('listens on 127.0.0.1 only and prints a URL with the token in its fragment', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=${server.token}`)
  })

  it('refuses API calls without the token (401) and answers with it', async () => {
    const refused = await post('app:ping', [1], {})
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({ code: 'UNAUTHORIZED' })
    const wrong = await post('app:ping', [1], { Authorization: 'Bearer nope' })
    expect(wrong.status).toBe(401)
    const ok = await post('app:ping', [5])
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ echo: 5 })
  })

  it('serves the page itself without the token (public build outputs), never an API call', async () => {
    const page = await fetch(`${base}/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<title>Voxloop</title>')
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    expect((await fetch(`${base}/api/app:ping`, { method: 'POST', body: '[1]' })).status).toBe(401)
  })

  it('sets no cookie and takes none: cookies ignore ports, so other local servers would get it', async () => {
    for (const url of [`${base}/`, `${base}/?token=${server.token}`, server.url]) {
      const response = await fetch(url, { redirect: 'manual' })
      expect(response.status).toBe(200)
      expect(response.headers.get('set-cookie')).toBeNull()
    }
    const withCookie = await post('app:ping', [1], { Cookie: `voxloop_session_${server.port}=${encodeURIComponent(server.token)}` })
    expect(withCookie.status).toBe(401)
  })

  it('refuses other Host headers (DNS rebinding) and other origins', async () => {
    // fetch() drops a custom Host header, so send this one by hand.
    const reboundStatus = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: server.port, path: '/api/app:ping', method: 'POST', headers: { ...auth(), Host: `attacker.example:${server.port}`, 'Content-Type': 'application/json' } },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        }
      )
      req.on('error', reject)
      req.end('[1]')
    })
    expect(reboundStatus).toBe(403)
    const crossSite = await post('app:ping', [1], { ...auth(), Origin: 'https://attacker.example' })
    expect(crossSite.status).toBe(403)
    const sameSite = await post('app:ping', [1], { ...auth(), Origin: base })
    expect(sameSite.status).toBe(200)
  })

  it('validates arguments against the contract', async () => {
    const response = await post('projects:open', [42])
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^projects:open: invalid arguments: argument 1/) })
    const unknown = await post('system:reboot', [])
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ code: 'UNKNOWN_CHANNEL' })
  })

  it('reports app errors with their code, e.g. a folder that is not a project', async () => {
    const response = await post('projects:open', [tmp])
    expect(response.status).toBe(422)
    const body = (await response.json()) as { code: string; message: string }
    expect(['NOT_A_PROJECT', 'NOT_FOUND']).toContain(body.code)
    expect(body.message).toContain(tmp)
  })

  it('answers bad project paths with a 4xx that says why, never a 500', async () => {
    const file = await post('projects:open', ['/etc/passwd'])
    expect(file.status).toBe(422)
    expect(await file.json()).toMatchObject({ code: 'NOT_A_PROJECT', message: expect.stringMatching(/is a file, not a project folder/) })
    const nul = await post('projects:open', [`${tmp}\u0000/etc`])
    expect(nul.status).toBe(400)
    expect(await nul.json()).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/NUL/) })
  })

  it('exports the open project in the format asked for, and refuses an unknown format with a 400', async () => {
    const project = await createProjectWithCases(path.join(tmp, 'export-project'), { cases: 1 })
    await project.applyLabelEdit('case-0', editOf([0, 3], [1, 2]))
    await project.saveLabel('case-0')
    await project.dispose()
    expect((await post('projects:open', [path.join(tmp, 'export-project')])).status).toBe(200)
    try {
      const bad = await post('projects:export', [{ folder: path.join(tmp, 'export-bad'), format: 'stl' }])
      expect(bad.status).toBe(400)
      expect(await bad.json()).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^projects:export: invalid arguments: argument 1 \(format\)/) })
      const response = await post('projects:export', [{ folder: path.join(tmp, 'export-slicer'), format: 'seg-nrrd' }])
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({ files: ['case-0.seg.nrrd'], skipped: [] })
      expect(await readdir(path.join(tmp, 'export-slicer'))).toEqual(['case-0.seg.nrrd'])
    } finally {
      await post('projects:close', [])
    }
  })

  it('imports a 4D time series only when asked to split it (projects:import with fourD), and refuses an unknown fourD with a 400', async () => {
    const project = await createProjectWithCases(path.join(tmp, 'fourd-project'), { cases: 0 })
    await project.dispose()
    const source = path.join(tmp, 'fourd-source')
    await mkdir(source)
    // 2x2x2 voxels, 3 time points, xyzt_units mm + s, pixdim[4] (TR) 2 s: a time series by its header.
    await writeFile(
      path.join(source, 'fmri.nii'),
      buildNifti({ dims: [2, 2, 2, 3], datatype: 4, bitpix: 16, pixdim: [1, 1, 1, 1, 2], xyztUnits: 10 }, Int16Array.from({ length: 24 }, (_, n) => n))
    )
    expect((await post('projects:open', [path.join(tmp, 'fourd-project')])).status).toBe(200)
    try {
      const bad = await post('projects:import', [source, { fourD: 'frames' }])
      expect(bad.status).toBe(400)
      expect(await bad.json()).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^projects:import: invalid arguments: argument 2 \(fourD\)/) })
      const plain = await post('projects:import', [source])
      expect(await plain.json()).toMatchObject({ imported: [], skipped: [{ file: path.join(source, 'fmri.nii'), reason: expect.stringMatching(/^a 4D time series of 3 time points \(TR 2 s;/) }] })
      const split = await post('projects:import', [source, { fourD: 'time' }])
      expect(split.status).toBe(200)
      expect(((await split.json()) as { imported: { caseId: string }[] }).imported.map((c) => c.caseId)).toEqual(['fmri_t000', 'fmri_t001', 'fmri_t002'])
    } finally {
      await post('projects:close', [])
    }
  })

  it('sends projects:importProgress per case, and projects:cancelImport stops the import with nothing added', async () => {
    const project = await createProjectWithCases(path.join(tmp, 'progress-project'), { cases: 0 })
    await project.dispose()
    const source = path.join(tmp, 'progress-source')
    await mkdir(source)
    for (const name of ['a', 'b', 'c']) {
      await writeFile(path.join(source, `${name}.nii`), buildNifti({ dims: [2, 2, 2], datatype: 4, bitpix: 16 }, Int16Array.from({ length: 8 }, (_, n) => n)))
    }
    expect((await post('projects:open', [path.join(tmp, 'progress-project')])).status).toBe(200)
    const seen: unknown[] = []
    let cancelAfterFirst = false
    const unsubscribe = app.events.subscribe((name, payload) => {
      if (name !== 'projects:importProgress') return
      seen.push(payload)
      // Synchronously, as a click arriving while the first case is staged: the next case must not start.
      if (cancelAfterFirst && seen.length === 1) void app.handlers['projects:cancelImport']()
    })
    try {
      expect(await (await post('projects:cancelImport', [])).json()).toEqual({ cancelled: false })
      cancelAfterFirst = true
      const cancelled = await post('projects:import', [source])
      expect(await cancelled.json()).toMatchObject({ code: 'CANCELLED' })
      expect(seen).toEqual([{ source, done: 1, total: 3, caseId: 'a' }])
      expect(await (await post('cases:list', [])).json()).toEqual([])

      seen.length = 0
      cancelAfterFirst = false
      const imported = await post('projects:import', [source])
      expect(imported.status).toBe(200)
      expect(seen).toEqual(['a', 'b', 'c'].map((caseId, n) => ({ source, done: n + 1, total: 3, caseId })))
    } finally {
      unsubscribe()
      await post('projects:close', [])
    }
  })

  it('lists DICOM series through projects:listDicomSeries, and answers a folder without DICOM with a 400 that names it', async () => {
    const folder = path.join(tmp, 'no-dicom')
    await mkdir(folder)
    await writeFile(path.join(folder, 'notes.txt'), 'not an image')
    const response = await post('projects:listDicomSeries', [folder])
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: 'INVALID_ARGUMENT', message: `${folder}: holds no DICOM files (sub-folders included); there is no series to choose` })
  })

  it('accepts binary-framed arguments', async () => {
    const response = await fetch(`${base}/api/app:ping`, {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': WIRE_CONTENT_TYPE },
      body: Buffer.from(encodeWire([9]))
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ echo: 9 })
    expect(decodeWire(encodeWire({ a: new Uint8Array([1]) }))).toEqual({ a: new Uint8Array([1]) })
  })

  it('does not serve files outside the renderer folder', async () => {
    for (const probe of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
      const response = await fetch(`${base}${probe}`, { headers: auth() })
      expect(await response.text()).not.toContain('outside the renderer folder')
    }
  })

  it('pushes events over an authorised WebSocket and refuses others', async () => {
    const refused = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`, { headers: { Origin: base } })
    const refusedResult = await new Promise<string>((resolve) => {
      refused.on('open', () => resolve('open'))
      refused.on('error', () => resolve('error'))
    })
    expect(refusedResult).toBe('error')

    const noOrigin = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`, { headers: auth() })
    expect(await new Promise((resolve) => { noOrigin.on('open', () => resolve('open')); noOrigin.on('error', () => resolve('error')) })).toBe('error')

    const wrongToken = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`, eventSocketProtocols('A'.repeat(43)), { headers: { Origin: base } })
    expect(await new Promise((resolve) => { wrongToken.on('open', () => resolve('open')); wrongToken.on('error', () => resolve('error')) })).toBe('error')

    // What a browser can do: the token as a second offered subprotocol.
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`, eventSocketProtocols(server.token), { headers: { Origin: base } })
    await new Promise<void>((resolve, reject) => {
      socket.on('open', () => resolve())
      socket.on('error', reject)
    })
    // The answer names the events protocol, never the token's (it would sit in a response header).
    expect(socket.protocol).toBe(EVENTS_PROTOCOL)
    const received = new Promise<unknown>((resolve) => socket.on('message', (data) => resolve(JSON.parse(String(data)))))
    app.events.emit('app:notice', { level: 'info', message: 'hello' })
    expect(await received).toEqual({ name: 'app:notice', payload: { level: 'info', message: 'hello' } })
    socket.close()
  })

  it('answers 413 from Content-Length alone, before reading the body, and keeps serving', async () => {
    for (const [type, length] of [['application/json', MAX_JSON_BODY_BYTES + 1], ['application/json', 57 * 1024 * 1024], [WIRE_CONTENT_TYPE, 2 * 1024 ** 3]] as const) {
      const startedAt = Date.now()
      // Headers only: a server that waited for the body would never answer.
      const exchange = await rawExchange(
        server.port,
        `POST /api/app:ping HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${server.token}\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\n\r\n`,
        () => false
      )
      expect(exchange.response).toMatch(/^HTTP\/1\.1 413 /)
      expect(exchange.response).toContain('the limit for')
      // Answered at once; the connection then closes after the server's 2 s linger.
      expect(Date.now() - startedAt).toBeLessThan(6000)
      expect((await post('app:ping', [2])).status).toBe(200)
    }
  })

  it('answers 413 once a chunked body passes the limit, closes that connection and keeps serving', async () => {
    const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 0x20), Buffer.from('\r\n')])
    const exchange = await rawExchange(
      server.port,
      `POST /api/app:ping HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${server.token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      // Sends up to 64 MiB of whitespace, then ends the body; a server without a limit reads it all.
      (sent) => sent < 64 * 1024 * 1024 && chunk,
      Buffer.from('0\r\n\r\n')
    )
    expect(exchange.response).toMatch(/^HTTP\/1\.1 413 /)
    expect(exchange.response).toContain('passed the limit')
    // The answer came while the client was still sending, not after the whole body.
    expect(exchange.bytesSentBeforeAnswer).toBeLessThan(32 * 1024 * 1024)
    expect((await post('app:ping', [3])).status).toBe(200)
  })

  it('takes a JSON body just under the limit', async () => {
    const body = `[4]${' '.repeat(MAX_JSON_BODY_BYTES - 3)}`
    const response = await fetch(`${base}/api/app:ping`, { method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ echo: 4 })
  })

  it('holds the JSON part of a wire body to the JSON limit', async () => {
    const response = await fetch(`${base}/api/app:ping`, {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': WIRE_CONTENT_TYPE },
      body: Buffer.from(encodeWire([1, 'x'.repeat(MAX_JSON_BODY_BYTES)]))
    })
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('JSON part of the wire body') })
  })
})
