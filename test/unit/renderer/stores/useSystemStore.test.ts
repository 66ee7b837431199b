import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SystemInfo } from '../../../../src/shared/system'

/** What api.system.info answers next: the test changes the free memory between calls. */
let freeBytes = 8 * 2 ** 30
let infoFails: Error | null = null
let infoCalls = 0

function systemInfo(): SystemInfo {
  return {
    appVersion: '1.2.3',
    platform: 'linux',
    arch: 'x64',
    versions: { node: '20', electron: null, chrome: null },
    cpu: { model: 'Test CPU', cores: 2 },
    memory: { totalBytes: 16 * 2 ** 30, freeBytes },
    gpus: [],
    engine: { state: 'failed', message: 'no engine in this test' },
    host: { mode: 'serve', canPickFolders: false }
  }
}

vi.mock('../../../../src/renderer/src/bridge/api', () => ({
  api: {
    settings: { get: async () => ({ computeBackend: 'auto' }) },
    system: {
      info: async () => {
        infoCalls++
        if (infoFails) throw infoFails
        return systemInfo()
      }
    },
    on: () => undefined
  }
}))

const { useSystemStore, SYSTEM_INFO_REFRESH_MS } = await import('../../../../src/renderer/src/stores/useSystemStore')

/** Lets the awaited mock replies settle after the timers fired. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

describe('useSystemStore machine figures', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    freeBytes = 8 * 2 ** 30
    infoFails = null
    infoCalls = 0
    setActivePinia(createPinia())
  })

  afterEach(() => {
    useSystemStore().stopRefresh()
    vi.useRealTimers()
  })

  it('shows the free memory of now, not of start-up: it asks again every few seconds', async () => {
    const store = useSystemStore()
    await store.load()
    expect(store.info?.memory.freeBytes).toBe(8 * 2 ** 30)
    expect(infoCalls).toBe(1)

    freeBytes = 5 * 2 ** 30 // a model started training
    await vi.advanceTimersByTimeAsync(SYSTEM_INFO_REFRESH_MS)
    await settle()
    expect(infoCalls).toBe(2)
    expect(store.info?.memory.freeBytes).toBe(5 * 2 ** 30)

    freeBytes = 9 * 2 ** 30 // and finished
    await vi.advanceTimersByTimeAsync(SYSTEM_INFO_REFRESH_MS)
    await settle()
    expect(store.info?.memory.freeBytes).toBe(9 * 2 ** 30)
    // Often enough to follow a training run, not a busy loop.
    expect(SYSTEM_INFO_REFRESH_MS).toBeGreaterThanOrEqual(1000)
    expect(SYSTEM_INFO_REFRESH_MS).toBeLessThanOrEqual(10_000)
  })

  it('keeps the last figures and says why when a refresh fails, and clears that once one succeeds', async () => {
    const store = useSystemStore()
    await store.load()
    infoFails = new Error('connection refused')
    freeBytes = 1
    await vi.advanceTimersByTimeAsync(SYSTEM_INFO_REFRESH_MS)
    await settle()
    expect(store.info?.memory.freeBytes).toBe(8 * 2 ** 30)
    expect(store.error).toContain('connection refused')

    infoFails = null
    await vi.advanceTimersByTimeAsync(SYSTEM_INFO_REFRESH_MS)
    await settle()
    expect(store.info?.memory.freeBytes).toBe(1)
    expect(store.error).toBeNull()
  })

  it('does not hide another error behind a failed refresh', async () => {
    const store = useSystemStore()
    await store.load()
    store.error = '"tfjs-node-gpu" was requested but is not available: not installed'
    infoFails = new Error('connection refused')
    await vi.advanceTimersByTimeAsync(SYSTEM_INFO_REFRESH_MS)
    await settle()
    expect(store.error).toContain('tfjs-node-gpu')
    infoFails = null
    await vi.advanceTimersByTimeAsync(SYSTEM_INFO_REFRESH_MS)
    await settle()
    expect(store.error).toContain('tfjs-node-gpu')
  })

  it('starts one refresh timer however often it is loaded', async () => {
    const store = useSystemStore()
    await store.load()
    await store.load()
    infoCalls = 0
    await vi.advanceTimersByTimeAsync(SYSTEM_INFO_REFRESH_MS)
    await settle()
    expect(infoCalls).toBe(1)
  })
})
