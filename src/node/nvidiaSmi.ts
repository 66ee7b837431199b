import { execFile } from 'node:child_process'
import type { GpuInfo } from '../shared/system'

/**
 * Asks nvidia-smi for the GPUs it sees. A missing binary, a driver error or a hang all mean
 * "no usable NVIDIA GPU" rather than an error: most of our users have none.
 */
export function findNvidiaGpus(timeoutMs = 4000): Promise<GpuInfo[]> {
  return new Promise((resolve) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader,nounits'],
      { timeout: timeoutMs, windowsHide: true },
      (error, stdout) => {
        if (error) return resolve([])
        resolve(parseNvidiaSmiCsv(stdout))
      }
    )
  })
}

export function parseNvidiaSmiCsv(csv: string): GpuInfo[] {
  return csv
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const [name = '', memory = '', driver = ''] = line.split(',').map((field) => field.trim())
      const memoryMiB = Number.parseFloat(memory)
      return {
        name,
        memoryMiB: Number.isFinite(memoryMiB) ? memoryMiB : null,
        driverVersion: driver.length > 0 ? driver : null
      }
    })
    .filter((gpu) => gpu.name.length > 0)
}

export interface GpuUtilisation {
  name: string
  utilizationPercent: number | null
  memoryUsedMiB: number | null
  memoryTotalMiB: number | null
}

/** Live GPU use from nvidia-smi; empty where there is no NVIDIA GPU. */
export function queryGpuUtilisation(timeoutMs = 3000): Promise<GpuUtilisation[]> {
  return new Promise((resolve) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=name,utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'],
      { timeout: timeoutMs, windowsHide: true },
      (error, stdout) => resolve(error ? [] : parseGpuUtilisationCsv(stdout))
    )
  })
}

export function parseGpuUtilisationCsv(csv: string): GpuUtilisation[] {
  const number = (field: string | undefined): number | null => {
    const value = Number.parseFloat(field ?? '')
    return Number.isFinite(value) ? value : null
  }
  return csv
    .split('\n')
    .map((line) => line.split(',').map((field) => field.trim()))
    .filter((fields) => (fields[0] ?? '').length > 0)
    .map(([name = '', util, used, total]) => ({ name, utilizationPercent: number(util), memoryUsedMiB: number(used), memoryTotalMiB: number(total) }))
}
