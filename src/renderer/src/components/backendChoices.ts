/**
 * The status bar's compute-backend menu (issue #15 polish: it offered backends that are not
 * installed). A backend the engine's probe found unusable is listed disabled with the probe's
 * reason, so the user sees why rather than restarting the engine into an error.
 */
import { BACKEND_IDS, type BackendId } from '../../../shared/backends'
import type { EngineStatus } from '../../../shared/system'

export interface BackendChoice {
  id: BackendId
  available: boolean
  /** The tooltip: the probe's reason ("not installed", "loaded; CUDA GPU: …"). */
  title: string
}

/** One entry per backend; all enabled while the engine has not reported its probes (starting, failed). */
export function backendChoices(engine: EngineStatus): BackendChoice[] {
  const probes = engine.state === 'ready' ? engine.backend.probes : []
  return BACKEND_IDS.map((id) => {
    const probe = probes.find((p) => p.id === id)
    if (!probe) return { id, available: true, title: engine.state === 'ready' ? 'Not probed by this engine' : 'Available once the engine has started and probed it' }
    if (!probe.available) return { id, available: false, title: `Not available: ${probe.reason}` }
    // Offered: choosing it in this menu forces it, as --backend does.
    return { id, available: true, title: probe.autoSkipReason === undefined ? probe.reason : `${probe.reason}. Auto passes it over: ${probe.autoSkipReason}` }
  })
}
