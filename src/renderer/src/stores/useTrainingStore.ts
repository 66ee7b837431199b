import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { SystemLoad } from '../../../shared/system'
import type { ModelVersionInfo, TrainingEpochEvent, TrainingOptions, TrainingProgress, TrainingResult, TrainingStatus } from '../../../shared/training'
import { api } from '../bridge/api'
import { useProjectsStore } from './useProjectsStore'

/** One point of the live loss curve. */
export interface LossPoint {
  step: number
  loss: number
}

/**
 * Training as the panel sees it: the live run (progress, loss per step, validation per epoch), the
 * machine's load, the model versions and which one is active. Follows the engine's events.
 */
export const useTrainingStore = defineStore('training', () => {
  const projects = useProjectsStore()
  const status = ref<TrainingStatus | null>(null)
  const progress = ref<TrainingProgress | null>(null)
  const losses = shallowRef<LossPoint[]>([])
  const epochs = shallowRef<TrainingEpochEvent[]>([])
  const lastResult = ref<TrainingResult | null>(null)
  const versions = ref<ModelVersionInfo[]>([])
  const load = ref<SystemLoad | null>(null)
  const error = ref<string | null>(null)
  const starting = ref(false)
  let loadTimer: ReturnType<typeof setInterval> | null = null

  const running = computed(() => status.value?.state === 'running' || status.value?.state === 'starting' || status.value?.state === 'cancelling')
  const activeModel = computed(() => {
    const value = projects.current?.manifest.settings.activeModel
    return typeof value === 'string' ? value : null
  })

  async function refresh(): Promise<void> {
    if (!projects.current) return
    try {
      status.value = await api.training.status()
      versions.value = await api.models.list()
      if (status.value.progress) progress.value = status.value.progress
    } catch (cause) {
      error.value = (cause as Error).message
    }
  }

  /** One click: fine-tune the active model on the curated cases (or train a first one). */
  async function start(options: TrainingOptions): Promise<void> {
    error.value = null
    starting.value = true
    losses.value = []
    epochs.value = []
    lastResult.value = null
    try {
      await api.training.start(options)
      status.value = await api.training.status()
      pollLoad()
    } catch (cause) {
      error.value = (cause as Error).message
    } finally {
      starting.value = false
    }
  }

  async function cancel(): Promise<void> {
    try {
      await api.training.cancel()
    } catch (cause) {
      error.value = (cause as Error).message
    }
  }

  async function activate(version: string): Promise<void> {
    error.value = null
    try {
      const manifest = await api.models.activate(version)
      if (projects.current) projects.current = { ...projects.current, manifest }
    } catch (cause) {
      error.value = (cause as Error).message
    }
  }

  function pollLoad(): void {
    if (loadTimer) return
    const tick = async (): Promise<void> => {
      try {
        load.value = await api.system.load()
      } catch {
        // Load figures are a nicety; a failed sample is simply skipped.
      }
      if (!running.value && loadTimer) {
        clearInterval(loadTimer)
        loadTimer = null
      }
    }
    void tick()
    loadTimer = setInterval(() => void tick(), 2000)
  }

  api.on('training:progress', (event) => {
    progress.value = event
    if (status.value && status.value.state !== 'running') status.value = { ...status.value, state: 'running' }
    if (event.loss !== null) losses.value = [...losses.value, { step: event.step, loss: event.loss }].slice(-5000)
  })
  api.on('training:epoch', (event) => {
    epochs.value = [...epochs.value, event]
    void api.models.list().then((list) => (versions.value = list))
  })
  api.on('training:finished', (result) => {
    lastResult.value = result
    void refresh()
  })

  return { status, progress, losses, epochs, lastResult, versions, load, error, starting, running, activeModel, refresh, start, cancel, activate, pollLoad }
})
