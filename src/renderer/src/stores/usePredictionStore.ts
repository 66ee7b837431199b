import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { PredictionFinished, PredictionRequest, PredictionStatus } from '../../../shared/prediction'
import { api } from '../bridge/api'

/** The background prediction run: start, follow, cancel. Case rows refresh through cases:changed. */
export const usePredictionStore = defineStore('prediction', () => {
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

  api.on('predictions:progress', (event) => {
    status.value = { state: status.value.state === 'cancelling' ? 'cancelling' : 'running', model: event.model, done: event.done, total: event.total, current: null }
  })
  api.on('predictions:finished', (event) => {
    last.value = event
    status.value = { state: 'idle', model: event.model, done: event.done, total: event.total, current: null }
    if (event.error) error.value = event.error
  })

  return { status, last, error, start, cancel, refresh }
})
