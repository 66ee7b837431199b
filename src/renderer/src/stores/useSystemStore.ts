import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { BackendPreference } from '../../../shared/backends'
import type { EngineStatus, SystemInfo } from '../../../shared/system'
import { api } from '../bridge/api'

/** What the status bar shows. The engine status follows 'engine:status' events. */
export const useSystemStore = defineStore('system', () => {
  const info = ref<SystemInfo | null>(null)
  const engine = ref<EngineStatus>({ state: 'starting' })
  const error = ref<string | null>(null)
  const backendPreference = ref<BackendPreference>('auto')

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
  }

  api.on('engine:status', (status) => {
    engine.value = status
  })

  /** Restarts the engine on the chosen backend (or tells why it cannot start). */
  async function setBackend(preference: BackendPreference): Promise<void> {
    error.value = null
    try {
      backendPreference.value = (await api.settings.update({ computeBackend: preference })).computeBackend
    } catch (cause) {
      error.value = (cause as Error).message
    }
  }

  api.on('app:notice', (notice) => {
    if (notice.level === 'error') error.value = notice.message
  })

  return { info, engine, error, backendPreference, load, setBackend }
})
