import { describe, expect, it } from 'vitest'
import { TOOLS } from '../../../../src/renderer/src/tools/registry'
import {
  COMMANDS,
  commandForKey,
  formatChord,
  helpSheet,
  keysText,
  parseChord,
  tooltip,
  type CommandContext,
  type KeyStroke
} from '../../../../src/renderer/src/workspace/commands'
import { handleWorkspaceKey } from '../../../../src/renderer/src/workspace/keyboard'

/**
 * The key event a browser sends for a chord of the table, on a US layout: a letter with Shift
 * arrives upper case, '?' arrives with Shift held (Shift+/), other symbols without.
 */
function browserEvent(chordText: string): KeyStroke {
  const chord = parseChord(chordText)
  const letter = chord.key.length === 1 && chord.key.toLowerCase() !== chord.key.toUpperCase()
  const shifted = chord.key === '?' || chord.shift
  return {
    key: letter && shifted ? chord.key.toUpperCase() : chord.key,
    ctrlKey: chord.ctrl,
    metaKey: false,
    shiftKey: shifted,
    altKey: chord.alt
  }
}

/** A workspace that records what the commands did to it. */
function fakeContext() {
  const calls: string[] = []
  const workspace = {
    tools: { tool: 'brush', activeLabel: 1, radiusMm: 4, shape: 'disk' as 'disk' | 'sphere' },
    thresholdEnabled: false,
    singleSliceView: null as string | null,
    message: null as string | null,
    display: { outline: false, opacity: 0.5 },
    undo: () => calls.push('undo'),
    redo: () => calls.push('redo'),
    save: () => void calls.push('save'),
    setStatus: (status: 'done') => void calls.push(`status:${status}`),
    setTool: (id: string) => {
      workspace.tools.tool = id
    },
    runAction: (id: string) => calls.push(`action:${id}`),
    cancelTool: () => calls.push('cancel'),
    setRadius: (radiusMm: number) => {
      workspace.tools.radiusMm = radiusMm
    },
    scrollActive: (delta: number) => calls.push(`scroll:${delta}`),
    resetViews: () => calls.push('reset'),
    applyDisplay: () => calls.push('display')
  }
  let help = false
  const context: CommandContext = {
    workspace,
    setLayout: (layout) => calls.push(`layout:${layout}`),
    toggleHelp: () => {
      help = !help
    },
    closeHelp: () => {
      const was = help
      help = false
      return was
    },
    openNextCase: () => calls.push('next')
  }
  return { context, workspace, calls, help: () => help }
}

const target = (tagName: string, type?: string): EventTarget => ({ tagName, type, isContentEditable: false }) as unknown as EventTarget

describe('the command table', () => {
  it('gives no two commands the same chord', () => {
    const chords = COMMANDS.flatMap((c) => c.keys.map((k) => formatChord(k)))
    const duplicates = chords.filter((chord, n) => chords.indexOf(chord) !== n)
    expect(duplicates).toEqual([])
    expect(new Set(COMMANDS.map((c) => c.id)).size).toBe(COMMANDS.length)
  })

  it('reaches every command by each of its keys, as the browser sends them', () => {
    for (const command of COMMANDS) {
      for (const keys of command.keys) expect(commandForKey(browserEvent(keys))?.id, `${command.id} by ${keys}`).toBe(command.id)
    }
  })

  it('has a command for every tool of the registry and every action, with the tool\'s own keys', () => {
    for (const tool of TOOLS) {
      if (tool.create) expect(COMMANDS.find((c) => c.id === `tool.${tool.id}`)?.keys).toEqual(tool.keys ?? [])
      for (const action of tool.actions ?? []) expect(COMMANDS.some((c) => c.id === `action.${action.id}`)).toBe(true)
    }
    expect(commandForKey(browserEvent('b'))?.id).toBe('tool.brush')
    expect(commandForKey(browserEvent('i'))?.id).toBe('action.interpolate')
  })

  it('lists every command that has keys on the help sheet, with its keys as written for people', () => {
    const rows = helpSheet().flatMap((group) => group.rows.map((row) => `${group.title}|${row.keys}|${row.description}`))
    for (const command of COMMANDS.filter((c) => c.keys.length > 0)) {
      expect(rows, command.id).toContain(`${command.group}|${keysText(command)}|${command.description}`)
    }
    expect(rows).toContain('Edit|Ctrl + Shift + Z, Ctrl + Y|Redo')
    expect(rows).toContain('Tools|1 … 9|Choose the active label')
    expect(rows).toContain('View|↑|Next slice')
    expect(rows).toContain('View|Alt + wheel|Zoom')
  })

  it('writes tooltips from the table', () => {
    expect(tooltip('edit.undo')).toBe('Undo (Ctrl + Z)')
    expect(tooltip('tool.brush')).toBe('Brush: paint the active label (B)')
    expect(tooltip('case.next', 'Open demo-03')).toBe('Open demo-03 (Shift + N)')
    // An action without keys: its description alone.
    expect(tooltip('action.keep-largest')).toBe('Keep the largest connected component of the active label')
    expect(() => tooltip('no.such')).toThrow(/no workspace command/)
  })

  it('tells letters with and without Shift apart, and symbols whatever Shift', () => {
    expect(commandForKey({ key: 'N', ctrlKey: false, metaKey: false, shiftKey: true, altKey: false })?.id).toBe('case.next')
    expect(commandForKey({ key: 'n', ctrlKey: false, metaKey: false, shiftKey: false, altKey: false })?.id).toBe('tool.navigate')
    // Caps Lock: an upper-case letter without Shift is the plain letter.
    expect(commandForKey({ key: 'B', ctrlKey: false, metaKey: false, shiftKey: false, altKey: false })?.id).toBe('tool.brush')
    expect(commandForKey({ key: 'z', ctrlKey: false, metaKey: true, shiftKey: false, altKey: false })?.id).toBe('edit.undo')
    expect(commandForKey({ key: 'Z', ctrlKey: true, metaKey: false, shiftKey: true, altKey: false })?.id).toBe('edit.redo')
    expect(commandForKey({ key: '?', ctrlKey: false, metaKey: false, shiftKey: false, altKey: false })?.id).toBe('help.toggle')
    expect(commandForKey({ key: 'b', ctrlKey: true, metaKey: false, shiftKey: false, altKey: false })).toBeUndefined()
    expect(commandForKey({ key: 'ArrowUp', ctrlKey: false, metaKey: false, shiftKey: true, altKey: false })).toBeUndefined()
  })
})

describe('handleWorkspaceKey', () => {
  it('runs what each key promises', () => {
    const { context, workspace, calls, help } = fakeContext()
    const press = (keys: string, on: EventTarget | null = null): boolean => handleWorkspaceKey({ ...browserEvent(keys), target: on }, context)
    press('e')
    expect(workspace.tools.tool).toBe('eraser')
    press('3')
    expect(workspace.tools.activeLabel).toBe(3)
    press(']')
    expect(workspace.tools.radiusMm).toBeCloseTo(5, 10)
    press('t')
    expect(workspace.thresholdEnabled).toBe(true)
    press('s')
    expect(workspace.tools.shape).toBe('sphere')
    press('?')
    expect(help()).toBe(true)
    press('Escape')
    expect(help()).toBe(false)
    press('Escape')
    for (const keys of ['ArrowUp', 'PageDown', 'Ctrl+Z', 'Ctrl+Y', 'Ctrl+S', 'd', 'Shift+N', 'i', 'g', 'x', 'o', 'r']) press(keys)
    expect(calls).toEqual(['cancel', 'scroll:1', 'scroll:-10', 'undo', 'redo', 'save', 'status:done', 'next', 'action:interpolate', 'layout:grid', 'layout:3d', 'display', 'reset'])
    expect(workspace.display.outline).toBe(true)
    expect(press('q')).toBe(false)
  })

  it('keeps the brush a disk on a one-slice case, saying why, and gives the sphere back on a 3D case', () => {
    const { context, workspace } = fakeContext()
    const press = (keys: string): boolean => handleWorkspaceKey({ ...browserEvent(keys), target: null }, context)
    workspace.singleSliceView = 'axial'
    expect(press('s')).toBe(true)
    expect(workspace.tools.shape).toBe('disk')
    expect(workspace.message).toMatch(/3D sphere.*this 2D image has one slice/)
    workspace.singleSliceView = null
    workspace.message = null
    press('s')
    expect(workspace.tools.shape).toBe('sphere')
    expect(workspace.message).toBeNull()
  })

  it('leaves keys to text fields only: checkboxes, sliders, dropdowns and buttons keep the shortcuts (issue #15 defect 3)', () => {
    for (const focused of [target('INPUT', 'checkbox'), target('INPUT', 'range'), target('SELECT'), target('INPUT', 'radio'), target('INPUT', 'color'), target('BUTTON')]) {
      const { context, workspace, calls } = fakeContext()
      expect(handleWorkspaceKey({ ...browserEvent('b'), target: focused }, context)).toBe(true)
      workspace.tools.tool = 'fill'
      handleWorkspaceKey({ ...browserEvent('b'), target: focused }, context)
      expect(workspace.tools.tool).toBe('brush')
      // After the radius slider, ↑ moves the slice (the handler's caller prevents the slider's step).
      expect(handleWorkspaceKey({ ...browserEvent('ArrowUp'), target: focused }, context)).toBe(true)
      expect(calls).toEqual(['scroll:1'])
    }
    for (const typing of [target('INPUT', 'text'), target('INPUT', 'number'), target('INPUT', 'search'), target('INPUT'), target('TEXTAREA'), { tagName: 'DIV', isContentEditable: true } as unknown as EventTarget]) {
      const { context, workspace } = fakeContext()
      expect(handleWorkspaceKey({ ...browserEvent('e'), target: typing }, context)).toBe(false)
      expect(workspace.tools.tool).toBe('brush')
    }
  })
})
