import { defineStore } from 'pinia'
import { ref, watch } from 'vue'
import type { PredictionFinished, PredictionRequest, PredictionStatus } from '../../../shared/prediction'
import { api } from '../bridge/api'
import { useProjectsStore } from './useProjectsStore'

/** The background prediction run: start, follow, cancel. Case rows refresh through cases:changed. */
export const usePredictionStore = defineStore('prediction', () => {
  const projects = useProjectsStore()
  const status = ref<PredictionStatus>({ state: 'idle', model: null, done: 0, total: 0, current: null })
  const last = ref<PredictionFinished | null>(null)
  const error = ref<string | null>(null)

  async function start(request: PredictionRequest = {}): Promise<void> {
    error.value = null
    last.value = null
    try {
      status.value = await api.predictions.run(request)
    } catch (cause) {
      error.value = (cause as Error).message
    }
  }

  async function cancel(): Promise<void> {
    status.value = await api.predictions.cancel()
  }

  async function refresh(): Promise<void> {
    status.value = await api.predictions.status()
  }

  /**
   * What one project's prediction said stays with it (issue #15 item 4: "Predicted 3 of 3 case(s)
   * with v0001…" showed on other projects). A run still going on (main predicts one project at a
   * time) is read back by refresh().
   */
  function reset(): void {
    last.value = null
    error.value = null
    status.value = { state: 'idle', model: null, done: 0, total: 0, current: null }
  }

  watch(
    () => projects.current?.path ?? null,
    (path, previous) => {
      if (path === previous) return
      reset()
      if (path) void refresh().catch(() => undefined)
    }
  )
  // "There is no trained model yet" (or any refusal of the previous active model) is out of date
  // once another model is active: the next Predict uses that one.
  watch(
    () => projects.current?.manifest.settings.activeModel,
    (model, previous) => {
      if (model !== previous) error.value = null
    }
  )

  api.on('predictions:progress', (event) => {
    status.value = { state: status.value.state === 'cancelling' ? 'cancelling' : 'running', model: event.model, done: event.done, total: event.total, current: null }
  })
  api.on('predictions:finished', (event) => {
    last.value = event
    status.value = { state: 'idle', model: event.model, done: event.done, total: event.total, current: null }
    if (event.error) error.value = event.error
  })
  api.on('training:finished', (result) => {
    // A run that left a model: "no trained model yet" is no longer true.
    if (result.bestEpoch !== null) error.value = null
  })

  return { status, last, error, start, cancel, refresh, reset }
})
