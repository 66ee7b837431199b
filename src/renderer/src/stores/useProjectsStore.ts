import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { OpenedProject } from '../../../shared/contract'
import type { RecentProject } from '../../../shared/settings'
import { api } from '../bridge/api'

/** Recent projects and the open one (ids and metadata only; volumes never live in a store). */
export const useProjectsStore = defineStore('projects', () => {
  const recent = ref<RecentProject[]>([])
  const current = ref<OpenedProject | null>(null)
  const busy = ref(false)
  const error = ref<string | null>(null)

  async function loadRecent(): Promise<void> {
    recent.value = await api.projects.recent()
  }

  async function open(folder: string): Promise<boolean> {
    busy.value = true
    error.value = null
    try {
      current.value = await api.projects.open(folder)
      await loadRecent()
      return true
    } catch (cause) {
      error.value = (cause as Error).message
      return false
    } finally {
      busy.value = false
    }
  }

  async function pickAndOpen(): Promise<void> {
    error.value = null
    try {
      const folder = await api.projects.pickFolder({ title: 'Open a Voxloop project folder' })
      if (folder) await open(folder)
    } catch (cause) {
      error.value = (cause as Error).message
    }
  }

  async function forget(folder: string): Promise<void> {
    recent.value = await api.projects.forget(folder)
  }

  function close(): void {
    current.value = null
  }

  return { recent, current, busy, error, loadRecent, open, pickAndOpen, forget, close }
})
