import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  dawnMessagesIn,
  probeWebGpu,
  vulkanLoaderPresent,
  webGpuProbeFrom,
  type WebGpuProbeOutcome
} from '../../../../src/engine/backends/webgpu/probeWebGpu'
import type { BackendProbe } from '../../../../src/shared/backends'
import { itUnless } from '../../../helpers/skipWithReason'

/** SwiftShader's Vulkan driver from Debian's chromium package: a software adapter on a machine without a GPU. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json'

/** This environment without a Vulkan driver list: the loader looks for the machine's own drivers. */
function envWithoutIcd(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.VK_ICD_FILENAMES
  delete env.VK_DRIVER_FILES
  return env
}

const swiftShaderEnv = (): NodeJS.ProcessEnv => ({ ...envWithoutIcd(), VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: '/tmp' })

describe('webGpuProbeFrom: a reason for each outcome', () => {
  const software = { name: 'SwiftShader driver 5.0.0', vendor: 'google', architecture: 'swiftshader', software: true, maxBufferBytes: 2 ** 30 }
  const hardware = { name: 'Intel(R) Arc(TM) A770 Graphics', vendor: 'intel', architecture: 'gen-12hp', software: false, maxBufferBytes: 3.5 * 2 ** 30 }
  it.each<[string, WebGpuProbeOutcome, Partial<BackendProbe>]>([
    ['the desktop app without its GPU window', { kind: 'no-window', why: 'main sent no port to it within 5 s' }, { available: false, reason: "the desktop app's GPU window is not available: main sent no port to it within 5 s" }],
    [
      "the GPU window's Chromium without an adapter",
      { kind: 'window-no-adapter', reason: 'Chromium found no adapter' },
      { available: false, reason: "no GPU adapter in the desktop app's GPU window (Chromium's WebGPU): Chromium found no adapter" }
    ],
    [
      'a GPU in the desktop app',
      { kind: 'window-adapter', adapter: hardware },
      { available: true, reason: "GPU adapter Intel(R) Arc(TM) A770 Graphics, max buffer 3.5 GiB, in the desktop app's GPU window (Chromium's WebGPU)", adapter: hardware }
    ],
    [
      'a software adapter in the desktop app',
      { kind: 'window-adapter', adapter: software },
      { available: true, autoSkipReason: 'only a software adapter (SwiftShader driver 5.0.0): slower than wasm; --backend webgpu forces it', adapter: software }
    ],
    ['no package', { kind: 'not-installed' }, { available: false, reason: "not installed (the optional package 'webgpu' is missing)" }],
    [
      'an old glibc',
      { kind: 'load-failed', platform: 'linux-x64', message: "/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found" },
      { available: false, reason: "the 'webgpu' package failed to load: its Dawn build needs glibc ≥ 2.34 (/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found)" }
    ],
    [
      'no prebuilt binary',
      { kind: 'load-failed', platform: 'linux-riscv64', message: 'Cannot find module ./dist/linux-riscv64/dawn.node' },
      { available: false, reason: "the 'webgpu' package failed to load on linux-riscv64: Cannot find module ./dist/linux-riscv64/dawn.node" }
    ],
    ['a hung driver', { kind: 'timed-out', seconds: 8 }, { available: false, reason: 'the GPU driver did not answer within 8 s' }],
    ['no Vulkan loader', { kind: 'no-adapter', platform: 'linux', vulkanLoader: false, dawnMessages: [] }, { available: false, reason: 'no Vulkan loader: libvulkan.so.1 is not installed (Debian/Ubuntu: libvulkan1)' }],
    [
      'a driver Dawn rejects',
      { kind: 'no-adapter', platform: 'linux', vulkanLoader: true, dawnMessages: ['Vulkan shaderUniform*ArrayDynamicIndexing required.'] },
      { available: false, reason: 'no GPU adapter: Dawn found no usable Vulkan driver (Dawn: Vulkan shaderUniform*ArrayDynamicIndexing required.)' }
    ],
    ['no Metal device', { kind: 'no-adapter', platform: 'darwin', vulkanLoader: true, dawnMessages: [] }, { available: false, reason: 'no GPU adapter: Dawn found no usable Metal driver' }],
    ['a GPU', { kind: 'adapter', adapter: hardware }, { available: true, reason: 'GPU adapter Intel(R) Arc(TM) A770 Graphics, max buffer 3.5 GiB', adapter: hardware }],
    [
      'a software adapter',
      { kind: 'adapter', adapter: software },
      {
        available: true,
        reason: 'software adapter SwiftShader driver 5.0.0, max buffer 1.0 GiB: CPU emulation, usable when forced',
        autoSkipReason: 'only a software adapter (SwiftShader driver 5.0.0): slower than wasm; --backend webgpu forces it',
        adapter: software
      }
    ]
  ])('%s', (_, outcome, expected) => {
    const probe = webGpuProbeFrom(outcome)
    expect(probe).toMatchObject({ id: 'webgpu', ...expected })
    // Only a software adapter is skipped by auto.
    const software = (outcome.kind === 'adapter' || outcome.kind === 'window-adapter') && outcome.adapter.software
    if (!software) expect(probe.autoSkipReason).toBeUndefined()
  })

  it("keeps Dawn's own lines from the probe's stderr, not the drivers' noise", () => {
    // What the probe's child printed on this machine without VK_ICD_FILENAMES (Mesa's lavapipe present).
    const stderr = [
      'error: XDG_RUNTIME_DIR is invalid or not set in the environment.',
      'error: XDG_RUNTIME_DIR is invalid or not set in the environment.',
      'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.',
      ' - While initializing adapter (backend=BackendType::Vulkan)',
      '    at InitializeImpl (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/PhysicalDeviceVk.cpp:257)',
      ''
    ].join('\n')
    expect(dawnMessagesIn(stderr)).toEqual(['Vulkan shaderUniform*ArrayDynamicIndexing required.'])
    expect(dawnMessagesIn(`Error: ${'x'.repeat(300)}`)[0]).toHaveLength(160)
  })
})

const LDCONFIG = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((file) => existsSync(file))

describe('vulkanLoaderPresent', () => {
  const notRun = process.platform !== 'linux' ? 'the Vulkan loader check is for Linux only' : LDCONFIG ? null : 'no ldconfig to compare with'
  itUnless(notRun, 'agrees with ldconfig on this machine', () => {
    const listed = execFileSync(LDCONFIG ?? 'ldconfig', ['-p'], { encoding: 'utf8' }).includes('libvulkan.so.1 ')
    expect(vulkanLoaderPresent(envWithoutIcd())).toBe(listed)
  })
})

describe('probeWebGpu on this machine (a child process, as the engine runs it)', () => {
  it('without a Vulkan driver list: an adapter if the machine has one, otherwise not available with the reason', async () => {
    const probe = await probeWebGpu({ env: envWithoutIcd() })
    expect(probe.id).toBe('webgpu')
    if (probe.adapter) {
      console.info(`probeWebGpu found an adapter without VK_ICD_FILENAMES: ${probe.reason}`)
      expect(probe.available).toBe(true)
      expect(probe.adapter.maxBufferBytes).toBeGreaterThan(0)
    } else {
      expect(probe.available).toBe(false)
      expect(probe.reason).toMatch(/^(no GPU adapter: Dawn found no usable|no Vulkan loader|not installed|the 'webgpu' package failed to load)/)
    }
  })

  itUnless(existsSync(SWIFTSHADER_ICD) ? null : `no SwiftShader Vulkan driver at ${SWIFTSHADER_ICD} (Debian's chromium package)`, "with SwiftShader's driver: a software adapter, usable only when forced", async (ctx) => {
    const probe = await probeWebGpu({ env: swiftShaderEnv() })
    // The driver file is there, but Dawn or the loader cannot use it here: say why rather than fail.
    if (!probe.adapter) return ctx.skip(`SwiftShader gave no adapter: ${probe.reason}`)
    expect(probe.adapter).toMatchObject({ name: expect.stringMatching(/SwiftShader/) as string, software: true })
    expect(probe.adapter.maxBufferBytes).toBeGreaterThanOrEqual(2 ** 28)
    expect(probe.available).toBe(true)
    expect(probe.autoSkipReason).toBe(`only a software adapter (${probe.adapter.name}): slower than wasm; --backend webgpu forces it`)
  })

  it('gives up on a driver that does not answer in time, killing the probe', async () => {
    const probe = await probeWebGpu({ timeoutMs: 1 })
    expect(probe).toEqual({ id: 'webgpu', available: false, reason: 'the GPU driver did not answer within 0.001 s' })
  })
})
