import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { EngineStatus, SystemInfo } from '../../../shared/system'
import { api } from '../bridge/api'

/** What the status bar shows. The engine status follows 'engine:status' events. */
export const useSystemStore = defineStore('system', () => {
  const info = ref<SystemInfo | null>(null)
  const engine = ref<EngineStatus>({ state: 'starting' })
  const error = ref<string | null>(null)

  async function load(): Promise<void> {
    try {
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

  return { info, engine, error, load }
})
