import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { SystemLoad } from '../../../shared/system'
import type { ModelVersionInfo, TrainingEpochEvent, TrainingOptions, TrainingPreparing, TrainingProgress, TrainingResult, TrainingStatus } from '../../../shared/training'
import { VoxloopError } from '../../../shared/errors'
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
/** What the panel says after a Stop before the run's first step. */
export const STOPPED_BEFORE_TRAINING = 'Stopped before training began: no model was made. The cases prepared so far are kept for the next run.'

/** A run stopped before it was planned: it has no version (the engine made none). */
export function stoppedBeforeTraining(result: TrainingResult | null): boolean {
  return result !== null && result.status === 'cancelled' && result.version === ''
}

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
  /** The model a failed start tried to fine-tune: the panel then offers a new model in the message. */
  const failedFineTune = ref<string | null>(null)
  /** The latest data-preparation event of the run being started, until its first step. */
  const preparing = ref<TrainingPreparing | null>(null)
  const starting = ref(false)
  /** Stop was clicked and the run has not ended yet (the status may not say 'cancelling' while it starts). */
  const stopping = ref(false)
  /** How the last start ended when it was stopped before its first step (not an error: the user asked). */
  const notice = ref<string | null>(null)
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
      preparing.value = status.value.state === 'starting' ? status.value.preparing : null
      // After a reload the panel says how this project's last run ended, not just its last phase.
      if (!lastResult.value && status.value.state === 'idle') lastResult.value = status.value.lastResult
      if (stoppedBeforeTraining(lastResult.value)) notice.value = STOPPED_BEFORE_TRAINING
    } catch (cause) {
      error.value = (cause as Error).message
    }
  }

  /** One click: fine-tune the active model on the curated cases (or train a first one). */
  async function start(options: TrainingOptions): Promise<void> {
    error.value = null
    failedFineTune.value = null
    notice.value = null
    stopping.value = false
    starting.value = true
    losses.value = []
    epochs.value = []
    lastResult.value = null
    progress.value = null
    preparing.value = null
    // The machine's load while the data is prepared too (the longest silent part of a start).
    pollLoad()
    try {
      await api.training.start(options)
      status.value = await api.training.status()
    } catch (cause) {
      if (cause instanceof VoxloopError && cause.code === 'CANCELLED') {
        // Stopped while the cases were prepared: nothing was trained, nothing went wrong.
        notice.value = STOPPED_BEFORE_TRAINING
        status.value = status.value ? { ...status.value, state: 'idle', preparing: null } : null
      } else {
        error.value = (cause as Error).message
        failedFineTune.value = options.fromModel ?? null
      }
      preparing.value = null
      stopping.value = false
    } finally {
      starting.value = false
    }
  }

  /** Stop: the live run ends after its current step, or a starting one before its next case. */
  async function cancel(): Promise<void> {
    stopping.value = true
    try {
      const { cancelled } = await api.training.cancel()
      // Nothing was live (it ended meanwhile): the panel must not wait for an end that has come.
      if (!cancelled) stopping.value = false
    } catch (cause) {
      stopping.value = false
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
        const sample = await api.system.load()
        // A sample answered after the run ended would show a finished run's CPU as live.
        if (running.value || starting.value) load.value = sample
      } catch {
        // Load figures are a nicety; a failed sample is simply skipped.
      }
      if (!running.value && !starting.value) stopLoad()
    }
    void tick()
    loadTimer = setInterval(() => void tick(), 2000)
  }

  /** Stops sampling the load and drops the last sample: it described the run, not the machine now. */
  function stopLoad(): void {
    if (loadTimer) clearInterval(loadTimer)
    loadTimer = null
    load.value = null
  }

  /**
   * Everything that belongs to one project (issue #15 item 4): a finished run's panel, the model
   * list and errors are not carried into the next project; refresh() then reads the new one's.
   */
  function reset(): void {
    status.value = null
    progress.value = null
    preparing.value = null
    losses.value = []
    epochs.value = []
    lastResult.value = null
    versions.value = []
    error.value = null
    failedFineTune.value = null
    notice.value = null
    stopping.value = false
    stopLoad()
  }

  watch(
    () => projects.current?.path ?? null,
    (path, previous) => {
      if (path === previous) return
      reset()
      if (path) void refresh()
    }
  )

  api.on('training:preparing', (event) => {
    preparing.value = event
  })
  api.on('training:progress', (event) => {
    progress.value = event
    preparing.value = null
    if (status.value && status.value.state !== 'running') status.value = { ...status.value, state: 'running' }
    if (event.loss !== null) losses.value = [...losses.value, { step: event.step, loss: event.loss }].slice(-5000)
  })
  api.on('training:epoch', (event) => {
    epochs.value = [...epochs.value, event]
    void api.models.list().then((list) => (versions.value = list))
  })
  api.on('training:finished', (result) => {
    lastResult.value = result
    preparing.value = null
    stopping.value = false
    if (stoppedBeforeTraining(result)) notice.value = STOPPED_BEFORE_TRAINING
    // The panel shows the finished state at once (issue #15 item 4: it stayed at "saving · CPU 100 %"
    // while the refresh was under way, or for good when it failed).
    if (status.value) status.value = { ...status.value, state: 'idle', lastResult: result }
    stopLoad()
    void refresh()
  })

  return {
    status,
    progress,
    preparing,
    losses,
    epochs,
    lastResult,
    versions,
    load,
    error,
    failedFineTune,
    starting,
    stopping,
    notice,
    running,
    activeModel,
    refresh,
    start,
    cancel,
    activate,
    pollLoad,
    reset
  }
})
