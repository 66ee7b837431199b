import { describe, expect, it } from 'vitest'
import registrySource from '../../../../src/renderer/src/tools/registry.ts?raw'
import { findAction, findTool, TOOLS } from '../../../../src/renderer/src/tools/registry'

// Vite lists the files without loading them: every tool folder is one with a tool.ts.
const TOOL_FILES = Object.keys(import.meta.glob('../../../../src/renderer/src/tools/*/tool.ts'))

describe('the tool registry', () => {
  it('registers every tool folder (a folder with a tool.ts) with one line', () => {
    const folders = TOOL_FILES.map((file) => file.split('/').at(-2) ?? '')
    expect(folders.length).toBeGreaterThanOrEqual(7)
    for (const folder of folders) expect(registrySource, `tools/${folder}/tool.ts is not in registry.ts`).toContain(`from './${folder}/tool'`)
  })

  it('gives each tool a unique id, a place in the panel, and something to do', () => {
    const ids = TOOLS.map((tool) => tool.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const tool of TOOLS) {
      expect(findTool(tool.id)).toBe(tool)
      expect(['pointer', 'threshold', 'actions']).toContain(tool.section)
      // A pointer tool handles the pointer; an actions tool offers actions.
      if (tool.section === 'actions') expect(tool.actions?.length ?? 0).toBeGreaterThan(0)
      else expect(typeof tool.create).toBe('function')
      for (const action of tool.actions ?? []) expect(findAction(action.id)?.tool).toBe(tool)
    }
    expect(findTool('no-such-tool')).toBeUndefined()
    expect(findAction('no-such-action')).toBeUndefined()
  })

  it('lists the tools of issue #15 in panel order', () => {
    const ids = TOOLS.map((tool) => tool.id)
    const ofIssue = ['navigate', 'brush', 'eraser', 'fill', 'pick-threshold', 'interpolate', 'islands']
    expect(ids.filter((id) => ofIssue.includes(id))).toEqual(ofIssue)
    expect(findAction('interpolate')?.tool.id).toBe('interpolate')
    expect(findAction('remove-islands')?.tool.id).toBe('islands')
    expect(findAction('keep-largest')?.tool.id).toBe('islands')
  })
})
