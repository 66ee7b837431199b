/**
 * The GPU window's decisions, free of Electron values so that they are tested under plain Node:
 * which page it loads, and which engine starts get a channel to it (gpuWindow.ts, utilityEngine.ts).
 */
import { APP_ORIGIN } from './appProtocol'

/** The GPU window's page: app://voxloop/gpu-host.html, or the same page on the allowed dev server. */
export function gpuWindowUrl(devServerUrl: string | null): string {
  return devServerUrl ? new URL('gpu-host.html', devServerUrl).href : `${APP_ORIGIN}/gpu-host.html`
}

/** Whether the engine's arguments leave it webgpu to try: auto (no flag) or webgpu forced. */
export function mayUseWebGpu(argv: readonly string[]): boolean {
  const flag = argv.find((a) => a.startsWith('--backend='))?.slice('--backend='.length)
  return flag === undefined || flag === 'auto' || flag === 'webgpu'
}
