import { randomBytes } from 'node:crypto'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { MALFORMED_FRAMES, sendOverSocket, serverStillAnswers, startServeProcess, stopServeProcess, type ServeProcess } from '../../../helpers/reliability/hostileTraffic'

/**
 * The event socket must survive whatever a client sends: each malformed frame closes that one
 * socket, and the server goes on answering HTTP and WebSocket clients. The server runs in a process
 * of its own (serveProcess.ts), as `voxloop serve` does, because an error thrown out of a socket
 * handler kills a process; inside the test runner it would only be reported after the tests.
 */

let tmp: string
let rendererDir: string
let served: ServeProcess | null = null

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'voxloop-serve-frames-'))
  rendererDir = path.join(tmp, 'renderer')
  await mkdir(rendererDir)
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Voxloop</title>')
})

// A fresh server for each frame, so that each one is shown to be harmless (or fatal) on its own.
beforeEach(async () => {
  served = await startServeProcess(path.join(tmp, `home-${randomBytes(4).toString('hex')}`), rendererDir)
})

afterEach(async () => {
  const stopping = served
  served = null
  if (stopping) await stopServeProcess(stopping)
})

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

function current(): ServeProcess {
  if (!served) throw new Error('no serve process')
  return served
}

describe('serve mode event socket, malformed frames', () => {
  it.each(MALFORMED_FRAMES)('%s closes that socket only; the server keeps serving', async (_name, payload) => {
    const { port, token } = current()
    const { handshake } = await sendOverSocket(port, token, payload)
    expect(handshake).toBe('HTTP/1.1 101 Switching Protocols')
    // Give a crash the moment it needs to take the process down before looking.
    await new Promise((resolve) => setTimeout(resolve, 200))
    const { child, stderr } = current()
    expect({ exitCode: child.exitCode, signal: child.signalCode }, `the serve process ended:\n${stderr()}`).toEqual({ exitCode: null, signal: null })
    await serverStillAnswers(port, token)
  })
})
