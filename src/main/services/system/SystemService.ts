import os from 'node:os'
import si from 'systeminformation'
import type { HostInfo, SystemInfo, SystemLoad } from '../../../shared/system'
import { findNvidiaGpus, queryGpuUtilisation } from '../../../node/nvidiaSmi'
import type { EngineStatus } from '../../../shared/system'

export interface SystemServiceDeps {
  appVersion: string
  host: HostInfo
  engineStatus(): EngineStatus
}

/** What the status area shows: versions, compute backend, CPU, memory, GPUs. */
export class SystemService {
  private gpus: Promise<SystemInfo['gpus']> | null = null

  constructor(private readonly deps: SystemServiceDeps) {}

  async info(): Promise<SystemInfo> {
    // nvidia-smi takes a few hundred ms and GPUs do not come and go while the app runs.
    this.gpus ??= findNvidiaGpus()
    const cpus = os.cpus()
    return {
      appVersion: this.deps.appVersion,
      platform: process.platform,
      arch: process.arch,
      versions: {
        node: process.versions.node,
        electron: process.versions.electron ?? null,
        chrome: process.versions.chrome ?? null
      },
      cpu: { model: cpus[0]?.model.trim() ?? 'unknown', cores: cpus.length },
      memory: { totalBytes: os.totalmem(), freeBytes: os.freemem() },
      gpus: await this.gpus,
      engine: this.deps.engineStatus(),
      host: this.deps.host
    }
  }

  /** CPU % since the previous call (systeminformation), memory in use, and GPU use if any. */
  async load(): Promise<SystemLoad> {
    const [cpu, memory, gpus] = await Promise.all([si.currentLoad(), si.mem(), queryGpuUtilisation()])
    return { cpuPercent: cpu.currentLoad, memoryUsedBytes: memory.active, memoryTotalBytes: memory.total, gpus }
  }

  dispose(): void {}
}
