import { describe, expect, it } from 'vitest'
import { findNvidiaGpus, parseNvidiaSmiCsv } from '../../../src/node/nvidiaSmi'

describe('nvidia-smi', () => {
  it('parses its CSV output', () => {
    expect(parseNvidiaSmiCsv('NVIDIA H200, 143771, 550.54.15\nNVIDIA GeForce RTX 3060, [N/A], \n\n')).toEqual([
      { name: 'NVIDIA H200', memoryMiB: 143771, driverVersion: '550.54.15' },
      { name: 'NVIDIA GeForce RTX 3060', memoryMiB: null, driverVersion: null }
    ])
  })

  it('reports no GPU, rather than failing, where nvidia-smi is missing', async () => {
    const gpus = await findNvidiaGpus()
    expect(Array.isArray(gpus)).toBe(true)
  })
})

describe('nvidia-smi utilisation', () => {
  it('parses utilisation and memory, leaving unknown fields null', async () => {
    const { parseGpuUtilisationCsv } = await import('../../../src/node/nvidiaSmi')
    expect(parseGpuUtilisationCsv('NVIDIA H200, 87, 40000, 143771\nTesla T4, [N/A], 10, 15360\n')).toEqual([
      { name: 'NVIDIA H200', utilizationPercent: 87, memoryUsedMiB: 40000, memoryTotalMiB: 143771 },
      { name: 'Tesla T4', utilizationPercent: null, memoryUsedMiB: 10, memoryTotalMiB: 15360 }
    ])
  })
})
