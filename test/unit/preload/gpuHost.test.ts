import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { GPU_HOST_PORT_MESSAGE } from '../../../src/shared/gpuWindow'

describe("the GPU window's preload", () => {
  it("its preload forwards exactly the protocol's port message (a sandboxed preload cannot import the constant)", () => {
    const preload = readFileSync(path.join(__dirname, '../../../src/preload/gpuHost.ts'), 'utf8')
    expect(preload).toContain(`const GPU_HOST_PORT_MESSAGE = '${GPU_HOST_PORT_MESSAGE}'`)
    // Nothing but electron is imported, and nothing is exposed to the page.
    expect(preload.match(/^import .*$/gm)).toEqual(["import { ipcRenderer } from 'electron'"])
    expect(preload).not.toContain('contextBridge')
  })
})
