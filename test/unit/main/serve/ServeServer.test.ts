import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { VoxloopApp } from '../../../../src/main/app/VoxloopApp'
import { forkEngine } from '../../../../src/main/engine/forkEngine'
import { startServeServer, type RunningServer } from '../../../../src/main/serve/ServeServer'
import { decodeWire, encodeWire, WIRE_CONTENT_TYPE } from '../../../../src/shared/wire'
import { engineSpecFromSource } from '../../../helpers/engineUnderTsx'

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
  it('listens on 127.0.0.1 only and prints a URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`)
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

  it('refuses static files without the token too', async () => {
    expect((await fetch(`${base}/`)).status).toBe(401)
    expect((await fetch(`${base}/`, { headers: auth() })).status).toBe(200)
  })

  it('trades the URL token for an HttpOnly cookie and drops it from the address', async () => {
    const response = await fetch(server.url, { redirect: 'manual' })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/')
    const cookie = response.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    const page = await fetch(`${base}/`, { headers: { Cookie: cookie.split(';')[0] ?? '' } })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'")
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

    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`, { headers: { ...auth(), Origin: base } })
    await new Promise<void>((resolve, reject) => {
      socket.on('open', () => resolve())
      socket.on('error', reject)
    })
    const received = new Promise<unknown>((resolve) => socket.on('message', (data) => resolve(JSON.parse(String(data)))))
    app.events.emit('app:notice', { level: 'info', message: 'hello' })
    expect(await received).toEqual({ name: 'app:notice', payload: { level: 'info', message: 'hello' } })
    socket.close()
  })
})
