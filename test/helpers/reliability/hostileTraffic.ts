/**
 * Hostile serve-mode traffic, shared by the serve tests and `npm run bench -- reliability`: a real
 * server in a process of its own (so that a crash is seen as one), malformed WebSocket frames sent
 * over a bare TCP handshake, raw HTTP exchanges that fetch() cannot make, and a check that the
 * server still answers other clients.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import path from 'node:path'
import WebSocket from 'ws'

export interface ServeProcess {
  child: ChildProcess
  port: number
  token: string
  stderr: () => string
}

const SERVE_PROCESS = path.join(__dirname, '../../unit/main/serve/serveProcess.ts')

/** Starts `serveProcess.ts` with its own home folder; resolves once it listens. */
export async function startServeProcess(home: string, rendererDir: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVE_PROCESS, home, rendererDir], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const ready = await new Promise<{ port: number; token: string }>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n')[0]
      if (out.includes('\n') && line) resolve(JSON.parse(line) as { port: number; token: string })
    })
    child.once('exit', (code) => reject(new Error(`serve process exited (${code}) before listening:\n${stderr}`)))
  })
  return { child, ...ready, stderr: () => stderr }
}


/** Stops a serve process started above (SIGTERM, then waits for it). */
export async function stopServeProcess(served: ServeProcess): Promise<void> {
  const child = served.child
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/** Whether the process still runs (an unhandled error in a socket handler would have ended it). */
export function isAlive(served: ServeProcess): boolean {
  return served.child.exitCode === null && served.child.signalCode === null
}

/** A client frame: FIN + opcode byte as given, masked payload unless `masked` is false. */
export function frame(first: number, payload: Buffer, options: { masked?: boolean; declaredLength?: bigint } = {}): Buffer {
  const masked = options.masked ?? true
  const length = options.declaredLength ?? BigInt(payload.length)
  let header: Buffer
  if (length < 126n) header = Buffer.from([first, (masked ? 0x80 : 0) | Number(length)])
  else if (length < 65536n) {
    header = Buffer.alloc(4)
    header.writeUInt8(first, 0)
    header.writeUInt8((masked ? 0x80 : 0) | 126, 1)
    header.writeUInt16BE(Number(length), 2)
  } else {
    header = Buffer.alloc(10)
    header.writeUInt8(first, 0)
    header.writeUInt8((masked ? 0x80 : 0) | 127, 1)
    header.writeBigUInt64BE(length, 2)
  }
  if (!masked) return Buffer.concat([header, payload])
  const mask = randomBytes(4)
  const body = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)))
  return Buffer.concat([header, mask, body])
}

export const MALFORMED_FRAMES: Array<[string, Buffer]> = [
  ['a frame declaring over 1 MiB', frame(0x82, Buffer.alloc(16), { declaredLength: BigInt(1024 * 1024 + 1) })],
  ['an unmasked client frame', frame(0x81, Buffer.from('hello'), { masked: false })],
  ['a text frame of invalid UTF-8', frame(0x81, Buffer.from([0xff, 0xfe, 0xfd]))],
  ['a reserved opcode', frame(0x83, Buffer.from('x'))],
  ['RSV1 set without a negotiated extension', frame(0xc1, Buffer.from('x'))],
  ['a 2^32 length', frame(0x82, Buffer.alloc(16), { declaredLength: 2n ** 32n })]
]

/** A bare TCP WebSocket handshake that passes every check, then `payload`; resolves when the server closes. */
export function sendOverSocket(port: number, token: string, payload: Buffer): Promise<{ handshake: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    let upgraded = false
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`the server kept the socket open for 10 s after the frame; got: ${JSON.stringify(received.slice(0, 200))}`))
    }, 10_000)
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1')
      if (!upgraded && received.includes('\r\n\r\n')) {
        upgraded = true
        socket.write(payload)
      }
    })
    // A reset instead of a clean close is fine: only this socket is meant to go.
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ handshake: received.split('\r\n')[0] ?? '' })
    })
    socket.write(
      [
        'GET /api/events HTTP/1.1',
        `Host: 127.0.0.1:${port}`,
        `Origin: http://127.0.0.1:${port}`,
        `Authorization: Bearer ${token}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        '',
        ''
      ].join('\r\n')
    )
  })
}

/** Throws unless the server answers a ping and opens a new event socket. */
export async function serverStillAnswers(port: number, token: string): Promise<void> {
  const ping = await fetch(`http://127.0.0.1:${port}/api/app:ping`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: '[7]'
  })
  const answer = (await ping.json()) as { echo?: unknown }
  if (ping.status !== 200 || answer.echo !== 7) throw new Error(`app:ping answered ${ping.status} ${JSON.stringify(answer)}`)
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/events`, { headers: { Authorization: `Bearer ${token}`, Origin: `http://127.0.0.1:${port}` } })
  await new Promise<void>((resolve, reject) => {
    socket.on('open', () => resolve())
    socket.on('error', reject)
  })
  socket.close()
}

export interface RawExchange {
  response: string
  /** Body bytes written before the first byte of the answer arrived. */
  bytesSentBeforeAnswer: number
}

/**
 * One HTTP/1.1 request over a bare TCP socket, for what fetch() hides: headers without a body, a
 * body that goes on while the answer comes back, and whether the server closes the connection.
 * `next(sent)` returns the next piece of body to write, or false to stop; `end` is written after.
 * Resolves once the server has closed the connection; rejects if it has not within 10 s.
 */
export function rawExchange(port: number, head: string, next: (sent: number) => Buffer | false, end?: Buffer): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let response = ''
    let sent = 0
    let sentBeforeAnswer = -1
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`the server did not close the connection within 10 s (sent ${sent} bytes); got: ${JSON.stringify(response.slice(0, 200))}`))
    }, 10_000)
    socket.on('data', (data: Buffer) => {
      if (sentBeforeAnswer < 0) sentBeforeAnswer = sent
      response += data.toString('latin1')
    })
    // Writing after the server closed fails (EPIPE, reset): expected here, the answer is what counts.
    socket.on('error', () => undefined)
    // Only the server (or the timer) ends this socket: the client never closes it.
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ response, bytesSentBeforeAnswer: sentBeforeAnswer })
    })
    socket.write(head)
    const pump = (): void => {
      while (response.length === 0 && !socket.destroyed) {
        const piece = next(sent)
        if (piece === false) {
          if (end) socket.write(end)
          return
        }
        sent += piece.length
        if (!socket.write(piece)) {
          socket.once('drain', pump)
          return
        }
      }
    }
    pump()
  })
}
