import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { BackendReportSchema, type BackendReport } from '../../../../src/shared/backends'
import type { SerializedError } from '../../../../src/shared/errors'
import { probeWebGpu } from '../../../../src/engine/backends/webgpu/probeWebGpu'
import { describeUnless } from '../../../helpers/skipWithReason'

/**
 * activateBackend for webgpu in child processes (activateInChild.ts): each preference from a fresh
 * TensorFlow.js and Dawn, the Vulkan driver picked by the environment as a user would.
 */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json'
const root = path.resolve(__dirname, '../../../..')

/** Each child loads TensorFlow.js and wasm from scratch: seconds alone, a minute and more on a machine loaded 10× over. */
const CHILD_TIMEOUT_MS = 200_000
const TEST_TIMEOUT_MS = CHILD_TIMEOUT_MS + 10_000

type ChildResult = { ok: true; report: BackendReport; sum: number[] } | { ok: false; error: SerializedError }

function activateInChild(preference: string, env: NodeJS.ProcessEnv): ChildResult {
  // One wasm thread: the threaded build's worker pool is not what these tests are about, and costs
  // the most time on a busy machine.
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'activateInChild.ts'), preference], {
    cwd: root,
    env: { ...env, VOXLOOP_WASM_THREADS: '1' },
    encoding: 'utf8',
    timeout: CHILD_TIMEOUT_MS
  })
  const line = run.stdout.trim().split('\n').at(-1) ?? ''
  if (run.status !== 0 || !line.startsWith('{')) throw new Error(`activateInChild.ts ${preference} exited with ${run.status}: ${run.stderr}`)
  const result = JSON.parse(line) as ChildResult
  if (result.ok) BackendReportSchema.parse(result.report) // what crosses to main and the renderer
  return result
}

function envWithoutIcd(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.VK_ICD_FILENAMES
  delete env.VK_DRIVER_FILES
  return env
}
const swiftShaderEnv = { ...envWithoutIcd(), VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: '/tmp' }

/** Why the SwiftShader tests cannot run here, or null (asked once, before the tests are collected). */
async function swiftShaderMissing(): Promise<string | null> {
  if (!existsSync(SWIFTSHADER_ICD)) return `no SwiftShader Vulkan driver at ${SWIFTSHADER_ICD} (Debian's chromium package)`
  const probe = await probeWebGpu({ env: swiftShaderEnv })
  return probe.adapter ? null : `SwiftShader gave no WebGPU adapter: ${probe.reason}`
}

describeUnless(await swiftShaderMissing(), "activateBackend on SwiftShader's Vulkan (a software adapter)", () => {
  it('auto passes it over for wasm, and the report says why', () => {
    const result = activateInChild('auto', swiftShaderEnv)
    if (!result.ok) throw new Error(result.error.message)
    expect(result.report.chosen).not.toBe('webgpu')
    expect(result.report.adapter).toBeUndefined()
    expect(result.report.reason).toMatch(/webgpu: only a software adapter \(SwiftShader[^)]*\): slower than wasm; --backend webgpu forces it/)
    const webgpu = result.report.probes.find((probe) => probe.id === 'webgpu')
    expect(webgpu).toMatchObject({ available: true, adapter: { software: true } })
  }, TEST_TIMEOUT_MS)

  it('--backend webgpu forces it: tfjs computes on the adapter, which the report names', () => {
    const result = activateInChild('webgpu', swiftShaderEnv)
    if (!result.ok) throw new Error(result.error.message)
    expect(result.report).toMatchObject({ chosen: 'webgpu', tfBackend: 'webgpu', preference: 'webgpu', threads: 1 })
    expect(result.report.adapter).toMatchObject({ name: expect.stringMatching(/SwiftShader/) as string, software: true })
    expect(result.report.adapter?.maxBufferBytes).toBeGreaterThan(0)
    expect(result.report.reason).toMatch(/^forced by setting or --backend \(software adapter SwiftShader/)
    expect(result.sum).toEqual([11, 22, 33])
  }, TEST_TIMEOUT_MS)
})

describe('activateBackend without a Vulkan driver list', () => {
  it('--backend webgpu either runs on the machine\'s adapter or is refused with the reason', () => {
    const result = activateInChild('webgpu', envWithoutIcd())
    if (result.ok) {
      // A machine with a GPU (or a driver the loader finds on its own).
      console.info(`webgpu without VK_ICD_FILENAMES runs on ${result.report.adapter?.name ?? '?'}`)
      expect(result.report.chosen).toBe('webgpu')
      expect(result.sum).toEqual([11, 22, 33])
      return
    }
    expect(result.error.code).toBe('BACKEND_UNAVAILABLE')
    expect(result.error.message).toMatch(/^Backend "webgpu" was requested but is not available: (no GPU adapter|no Vulkan loader|not installed|the 'webgpu' package failed)/)
  }, TEST_TIMEOUT_MS)

  it('a forced wasm leaves the GPU alone', () => {
    const result = activateInChild('wasm', envWithoutIcd())
    if (!result.ok) throw new Error(result.error.message)
    expect(result.report.chosen).toBe('wasm')
    expect(result.report.probes.find((probe) => probe.id === 'webgpu')).toEqual({ id: 'webgpu', available: false, reason: 'not probed because wasm was forced' })
  }, TEST_TIMEOUT_MS)
})
