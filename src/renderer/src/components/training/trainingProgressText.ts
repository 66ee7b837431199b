/**
 * What the training panel's progress lines say (issue #15 item 9): the preparing stage before the
 * first step, and an ETA only once the engine has one (it sends null until enough steps are timed:
 * the engine's ProgressMeter, ETA_MIN_STEPS).
 */
import { describeAdapter } from '../../../../shared/backends'
import type { EngineStatus } from '../../../../shared/system'
import type { TrainingPreparing } from '../../../../shared/training'

/** "42 s", "3 min 5 s", "1 h 12 min"; "—" when unknown. */
export function durationText(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  const s = Math.round(value)
  return s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min` : s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`
}

/** The ETA cell: "finished" after the run, "estimating…" until the engine has timed enough steps. */
export function etaText(running: boolean, etaSeconds: number | null | undefined): string {
  if (!running) return 'finished'
  if (etaSeconds === null || etaSeconds === undefined) return 'estimating…'
  return durationText(etaSeconds)
}

const STAGE = {
  fingerprint: 'Measuring the training cases',
  cache: 'Preparing the cases for training'
} as const

/** The preparing line: stage, cases done of all, the case being read. */
export function preparingText(preparing: TrainingPreparing | null): string {
  if (!preparing) return 'Reading the project’s cases…'
  const reading = preparing.caseId ? ` (reading ${preparing.caseId})` : ''
  return `${STAGE[preparing.stage]}: ${preparing.done} of ${preparing.total}${reading}`
}

/** done / total in 0…1 (0 when there is nothing to count). */
export function progressFraction(done: number, total: number): number {
  return total > 0 ? Math.min(1, Math.max(0, done / total)) : 0
}

/**
 * The Compute cell: the run's TensorFlow.js backend (from its plan), with the GPU adapter when the
 * engine that reported it runs that backend on WebGPU ("webgpu · NVIDIA …, max buffer 4.0 GiB").
 * An engine restarted on another backend since the run began does not lend its adapter to it.
 */
export function computeText(planBackend: string, engine: EngineStatus): string {
  const adapter = engine.state === 'ready' && engine.backend.tfBackend === planBackend ? engine.backend.adapter : undefined
  return adapter ? `${planBackend} · ${describeAdapter(adapter)}` : planBackend
}
