/**
 * Is there a WebGPU adapter the engine can train on (issue #16)? Asked in a short-lived child
 * process, for three reasons measured on this project's machines:
 * - Dawn's adapter request blocks the thread that makes it (0.2–0.35 s with no driver on a loaded
 *   2-core machine, the event loop standing still), so in a child it runs beside the engine's own
 *   start-up (loading TensorFlow.js and wasm) instead of in front of it, and a driver that hangs can
 *   be killed at the timeout, which a blocked thread could not even notice;
 * - Dawn and the Vulkan drivers print to the process's stderr ("Warning: Vulkan
 *   shaderUniform*ArrayDynamicIndexing required" for Mesa's lavapipe, Wayland's "XDG_RUNTIME_DIR is
 *   invalid"), which the engine shares with every `voxloop` command; in a child it is caught, and
 *   Dawn's own lines become part of the reason;
 * - nothing of Dawn stays loaded in an engine that does not use it.
 * The engine requests the adapter again in its own process only when webgpu is chosen
 * (activateBackend.ts).
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { z } from 'zod'
import { describeAdapter, gibText, type BackendProbe, type GpuAdapterSummary } from '../../../shared/backends'
import { firstLineOf } from '../../../shared/errors'
import { gpuWindowHost } from '../../gpuHost/gpuWindowPort'
import { summarizeAdapterInfo } from './adapterSummary'

const requireAtRuntime = createRequire(import.meta.url)

/**
 * How long the probe waits for its child's answer. With no GPU it comes in 0.3–0.5 s here, but took
 * 5.6 s on this 2-core machine under a load of 9 (starting Node, loading dawn.node and Mesa's
 * drivers all compete for the cores); a real driver's first start can add a second or two. Longer
 * than this is a hung driver, and the app must start without it.
 */
export const WEBGPU_PROBE_TIMEOUT_MS = 15_000

/** What the probe found, before it is worded for people (webGpuProbeFrom). */
export type WebGpuProbeOutcome =
  | { kind: 'no-window'; why: string }
  | { kind: 'window-no-adapter'; reason: string }
  | { kind: 'window-adapter'; adapter: GpuAdapterSummary }
  | { kind: 'not-installed' }
  | { kind: 'load-failed'; message: string; platform: string }
  | { kind: 'timed-out'; seconds: number }
  | { kind: 'request-failed'; message: string }
  | { kind: 'no-adapter'; platform: NodeJS.Platform; vulkanLoader: boolean; dawnMessages: string[] }
  | { kind: 'adapter'; adapter: GpuAdapterSummary }

const GRAPHICS_API: Partial<Record<NodeJS.Platform, string>> = { linux: 'Vulkan', win32: 'D3D12 or Vulkan', darwin: 'Metal' }

/** Pure: the probe result and its reason for each outcome. */
export function webGpuProbeFrom(outcome: WebGpuProbeOutcome): BackendProbe {
  const id = 'webgpu'
  switch (outcome.kind) {
    case 'no-window':
      return { id, available: false, reason: `the desktop app's GPU window is not available: ${outcome.why}` }
    case 'window-no-adapter':
      return { id, available: false, reason: `no GPU adapter in the desktop app's GPU window (Chromium's WebGPU): ${outcome.reason}` }
    case 'window-adapter': {
      // The same wording and auto rule as with Dawn, saying where it runs.
      const probe = webGpuProbeFrom({ kind: 'adapter', adapter: outcome.adapter })
      return { ...probe, reason: `${probe.reason}, in the desktop app's GPU window (Chromium's WebGPU)` }
    }
    case 'not-installed':
      return { id, available: false, reason: "not installed (the optional package 'webgpu' is missing)" }
    case 'load-failed':
      return {
        id,
        available: false,
        reason: /GLIBC_/.test(outcome.message)
          ? `the 'webgpu' package failed to load: its Dawn build needs glibc ≥ 2.34 (${outcome.message})`
          : `the 'webgpu' package failed to load on ${outcome.platform}: ${outcome.message}`
      }
    case 'timed-out':
      return { id, available: false, reason: `the GPU driver did not answer within ${outcome.seconds} s` }
    case 'request-failed':
      return { id, available: false, reason: `requesting a GPU adapter failed: ${outcome.message}` }
    case 'no-adapter': {
      if (outcome.platform === 'linux' && !outcome.vulkanLoader) {
        return { id, available: false, reason: 'no Vulkan loader: libvulkan.so.1 is not installed (Debian/Ubuntu: libvulkan1)' }
      }
      const dawn = outcome.dawnMessages.length ? ` (Dawn: ${outcome.dawnMessages.join('; ')})` : ''
      return { id, available: false, reason: `no GPU adapter: Dawn found no usable ${GRAPHICS_API[outcome.platform] ?? 'GPU'} driver${dawn}` }
    }
    case 'adapter': {
      const { adapter } = outcome
      if (adapter.software) {
        return {
          id,
          available: true,
          reason: `software adapter ${adapter.name}, max buffer ${gibText(adapter.maxBufferBytes)}: CPU emulation, usable when forced`,
          autoSkipReason: `only a software adapter (${adapter.name}): slower than wasm; --backend webgpu forces it`,
          adapter
        }
      }
      return { id, available: true, reason: `GPU adapter ${describeAdapter(adapter)}`, adapter }
    }
  }
}

/**
 * The child: loads Dawn, asks for the high-performance adapter, prints one JSON line and exits
 * (Dawn's instance would otherwise keep it alive). CommonJS for `node -e`; argv[1] is Dawn's entry,
 * argv[2] the timeout: the child also ends itself then, in case the engine that waits for it was
 * killed first (a driver that answers late would otherwise leave it behind).
 */
const CHILD_SCRIPT = `
setTimeout(() => process.exit(2), Number(process.argv[2])).unref()
const answer = (value) => process.stdout.write(JSON.stringify(value), () => process.exit(0))
let dawn
try {
  dawn = require(process.argv[1])
} catch (error) {
  answer({ kind: 'load-failed', message: String((error && error.message) || error) })
}
if (dawn) {
  dawn.create([]).requestAdapter({ powerPreference: 'high-performance' }).then(
    (adapter) => {
      if (!adapter) return answer({ kind: 'no-adapter' })
      const { vendor, architecture, device, description, isFallbackAdapter } = adapter.info
      answer({ kind: 'adapter', info: { vendor, architecture, device, description, isFallbackAdapter }, maxBufferSize: adapter.limits.maxBufferSize })
    },
    (error) => answer({ kind: 'request-failed', message: String((error && error.message) || error) })
  )
}
`

const ChildAnswerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('load-failed'), message: z.string() }),
  z.object({ kind: z.literal('request-failed'), message: z.string() }),
  z.object({ kind: z.literal('no-adapter') }),
  z.object({
    kind: z.literal('adapter'),
    info: z.object({ vendor: z.string(), architecture: z.string(), device: z.string(), description: z.string(), isFallbackAdapter: z.boolean().optional() }),
    maxBufferSize: z.number()
  })
])

/**
 * Whether the Vulkan loader is where Dawn's dlopen("libvulkan.so.1") looks on common distributions
 * and LD_LIBRARY_PATH. A handful of stat calls, made only when no adapter was found, to tell "install
 * libvulkan1" apart from "no driver".
 */
export function vulkanLoaderPresent(env: NodeJS.ProcessEnv = process.env): boolean {
  const triple = process.arch === 'x64' ? 'x86_64-linux-gnu' : process.arch === 'arm64' ? 'aarch64-linux-gnu' : null
  const folders = [
    ...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    ...(triple ? [`/usr/lib/${triple}`, `/lib/${triple}`] : []),
    '/usr/lib64',
    '/lib64',
    '/usr/lib',
    '/lib',
    '/usr/local/lib'
  ]
  return folders.some((folder) => existsSync(path.join(folder, 'libvulkan.so.1')))
}

/** Dawn's "Warning: …" and "Error: …" lines from the child's stderr, at most two, each cut to 160 characters. */
export function dawnMessagesIn(stderr: string): string[] {
  const lines = stderr
    .split('\n')
    .map((line) => /^(?:Warning|Error): (.+)$/.exec(line.trim())?.[1]?.trim())
    .filter((line): line is string => Boolean(line))
  return [...new Set(lines)].slice(0, 2).map((line) => (line.length > 160 ? `${line.slice(0, 159)}…` : line))
}

export interface WebGpuProbeOptions {
  /** Environment of the probing child (VK_ICD_FILENAMES picks the Vulkan driver); default this process's. */
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
}

/** Probes in a child process (see the top of this file) and says what it found. */
export async function probeWebGpu(options: WebGpuProbeOptions = {}): Promise<BackendProbe> {
  return webGpuProbeFrom(await findWebGpuAdapter(options))
}

/**
 * How long the engine waits for main's port to the GPU window: main posts it right after the fork,
 * so it is there before the engine has loaded TensorFlow.js; a missing one means none will come.
 */
export const GPU_WINDOW_PORT_WAIT_MS = 5_000

/**
 * In the desktop app: Electron forbids the external buffers Dawn maps GPU memory into
 * (dawn-gpu/node-webgpu issue #5), so the engine asks the hidden GPU window, whose Chromium has
 * WebGPU of its own (src/main/electron/gpuWindow.ts).
 */
async function findGpuWindowAdapter(timeoutMs: number): Promise<WebGpuProbeOutcome> {
  const host = await gpuWindowHost(GPU_WINDOW_PORT_WAIT_MS)
  if (!host) return { kind: 'no-window', why: `main sent no port to it within ${GPU_WINDOW_PORT_WAIT_MS / 1000} s` }
  try {
    const { adapter, reason } = await host.probe(timeoutMs)
    return adapter ? { kind: 'window-adapter', adapter } : { kind: 'window-no-adapter', reason }
  } catch (error) {
    return { kind: 'no-window', why: firstLineOf(error) }
  }
}

export async function findWebGpuAdapter(options: WebGpuProbeOptions = {}): Promise<WebGpuProbeOutcome> {
  if (process.versions.electron !== undefined) return findGpuWindowAdapter(options.timeoutMs ?? WEBGPU_PROBE_TIMEOUT_MS)
  let dawnEntry: string
  try {
    dawnEntry = requireAtRuntime.resolve('webgpu')
  } catch {
    return { kind: 'not-installed' }
  }
  const env = options.env ?? process.env
  const timeoutMs = options.timeoutMs ?? WEBGPU_PROBE_TIMEOUT_MS
  const child = spawn(process.execPath, ['-e', CHILD_SCRIPT, dawnEntry, String(timeoutMs)], { env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const ended = await new Promise<{ timedOut: boolean; code: number | null; error?: Error }>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve({ timedOut: true, code: null })
    }, timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      resolve({ timedOut: false, code: null, error })
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ timedOut: false, code })
    })
  })
  const platform = `${process.platform}-${process.arch}`
  // Exit status 2 with nothing said: the child's own timer (CHILD_SCRIPT) ended it.
  if (ended.timedOut || (ended.code === 2 && stdout === '')) return { kind: 'timed-out', seconds: timeoutMs / 1000 }
  if (ended.error) return { kind: 'load-failed', platform, message: `the probe process did not start: ${firstLineOf(ended.error)}` }
  let answer: z.infer<typeof ChildAnswerSchema>
  try {
    answer = ChildAnswerSchema.parse(JSON.parse(stdout))
  } catch {
    // No answer: the child died inside Dawn (a crash in the driver, a missing shared library).
    const said = dawnMessagesIn(stderr)[0] ?? stderr.trim().split('\n')[0] ?? ''
    return { kind: 'load-failed', platform, message: `the probe process exited with code ${ended.code}${said ? `: ${said}` : ''}` }
  }
  switch (answer.kind) {
    case 'load-failed':
      return { kind: 'load-failed', platform, message: answer.message.split('\n')[0] ?? answer.message }
    case 'request-failed':
      return { kind: 'request-failed', message: answer.message }
    case 'no-adapter':
      return { kind: 'no-adapter', platform: process.platform, vulkanLoader: process.platform !== 'linux' || vulkanLoaderPresent(env), dawnMessages: dawnMessagesIn(stderr) }
    case 'adapter':
      return { kind: 'adapter', adapter: summarizeAdapterInfo(answer.info, answer.maxBufferSize) }
  }
}
