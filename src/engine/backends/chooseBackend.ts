import { BACKEND_IDS, type BackendId, type BackendPreference, type BackendProbe } from '../../shared/backends'
import { VoxloopError } from '../../shared/errors'

export interface BackendChoice {
  chosen: BackendId
  reason: string
}

/**
 * Pure: given what each backend's probe found, pick one. 'auto' takes the first available in
 * preference order (CUDA, WebGPU, libtensorflow CPU, wasm, cpu), passing over one whose probe gives
 * an autoSkipReason (webgpu on a software adapter: CPU emulation, slower than wasm). A forced backend
 * is honoured, that one included, or refused, never silently swapped, so a user who asked for the GPU
 * learns why they did not get it.
 */
export function chooseBackend(probes: readonly BackendProbe[], preference: BackendPreference): BackendChoice {
  const byId = new Map(probes.map((probe) => [probe.id, probe]))
  if (preference !== 'auto') {
    const probe = byId.get(preference)
    if (!probe) throw new VoxloopError('BACKEND_UNAVAILABLE', `Backend "${preference}" was requested but was not probed`)
    if (!probe.available) {
      throw new VoxloopError('BACKEND_UNAVAILABLE', `Backend "${preference}" was requested but is not available: ${probe.reason}`)
    }
    return { chosen: preference, reason: `forced by setting or --backend (${probe.reason})` }
  }
  const skipped: string[] = []
  for (const id of BACKEND_IDS) {
    const probe = byId.get(id)
    if (!probe) continue
    if (probe.available && probe.autoSkipReason === undefined) {
      const why = skipped.length ? `; ${skipped.join('; ')}` : ''
      return { chosen: id, reason: `first available in order ${BACKEND_IDS.join(' → ')}${why}` }
    }
    skipped.push(`${id}: ${probe.autoSkipReason ?? probe.reason}`)
  }
  throw new VoxloopError('BACKEND_UNAVAILABLE', `No compute backend is available: ${skipped.join('; ')}`)
}

