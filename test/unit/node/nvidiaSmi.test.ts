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
