import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { BackendPreference } from '../../../shared/backends'
import type { EngineStatus, SystemInfo } from '../../../shared/system'
import { api } from '../bridge/api'

/**
 * How often the status bar's machine figures (free memory above all) are asked for again. 5 s: free
 * memory moves by gigabytes within seconds while a model trains or a volume loads, and system:info
 * costs main well under a millisecond (the GPU list is cached there; no nvidia-smi per call).
 */
export const SYSTEM_INFO_REFRESH_MS = 5000

/** What the status bar shows. The engine status follows 'engine:status' events. */
export const useSystemStore = defineStore('system', () => {
  const info = ref<SystemInfo | null>(null)
  const engine = ref<EngineStatus>({ state: 'starting' })
  const error = ref<string | null>(null)
  const backendPreference = ref<BackendPreference>('auto')
  /** The error shown came from a failed refresh (cleared by the next good one, unlike others). */
  let errorFromRefresh = false
  let refreshTimer: ReturnType<typeof setInterval> | null = null
  let refreshing = false

  async function load(): Promise<void> {
    try {
      backendPreference.value = (await api.settings.get()).computeBackend
      info.value = await api.system.info()
      engine.value = info.value.engine
      if (engine.value.state === 'starting') {
        // Ask for the report directly as well, in case the ready event came before we subscribed.
        const backend = await api.system.backends()
        engine.value = { state: 'ready', backend }
      }
    } catch (cause) {
      error.value = (cause as Error).message
    }
    // Loaded once, "Memory free" stayed at its start-up value for the whole session (issue #15).
    refreshTimer ??= setInterval(() => void refresh(), SYSTEM_INFO_REFRESH_MS)
  }

  /**
   * Asks main for the machine figures again. The engine status is left alone: its events are newer
   * than a reply that may have been on its way while the engine restarted. One request at a time,
   * so a slow main (busy importing) does not pile them up.
   */
  async function refresh(): Promise<void> {
    if (refreshing) return
    refreshing = true
    try {
      info.value = await api.system.info()
      if (errorFromRefresh) {
        error.value = null
        errorFromRefresh = false
      }
    } catch (cause) {
      // Shown once rather than over another error: the figures may be stale, say why.
      if (error.value === null) {
        error.value = `The machine figures could not be refreshed: ${(cause as Error).message}`
        errorFromRefresh = true
      }
    } finally {
      refreshing = false
    }
  }

  /** Stops the periodic refresh (tests; a window that goes away). */
  function stopRefresh(): void {
    if (refreshTimer !== null) clearInterval(refreshTimer)
    refreshTimer = null
  }

  api.on('engine:status', (status) => {
    engine.value = status
  })

  /** Restarts the engine on the chosen backend (or tells why it cannot start). */
  async function setBackend(preference: BackendPreference): Promise<void> {
    error.value = null
    errorFromRefresh = false
    try {
      backendPreference.value = (await api.settings.update({ computeBackend: preference })).computeBackend
    } catch (cause) {
      error.value = (cause as Error).message
    }
  }

  api.on('app:notice', (notice) => {
    if (notice.level === 'error') {
      error.value = notice.message
      errorFromRefresh = false
    }
  })

  return { info, engine, error, backendPreference, load, refresh, stopRefresh, setBackend }
})
