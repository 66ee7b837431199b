/**
 * The case workspace's command table: every shortcut is written here once, and the keyboard handler
 * (keyboard.ts), the "?" help sheet (HelpOverlay.vue) and the buttons' tooltips all read it. The
 * tools' commands come from the tool registry (a tool's keys live in its own folder).
 *
 * Key notation: a key as `KeyboardEvent.key` names it, letters in lower case ('b', '[', '?',
 * 'ArrowUp', 'PageDown', 'Escape'), after modifiers joined by '+' ('Ctrl+Shift+Z', 'Shift+N').
 * 'Ctrl' also means ⌘ on a Mac. Shift is part of a letter's chord ('n' and 'Shift+N' differ) but not
 * of a symbol's: '?' needs Shift on one keyboard layout and not on another.
 */
import { reasonFor } from '../tools/core/caseChoices'
import { TOOLS, unavailableChoices } from '../tools/registry'
import type { Layout } from '../viewer/VolumeViewer'

/** What the commands drive: the workspace store satisfies this (a small fake in unit tests). */
export interface CommandTarget {
  tools: { activeLabel: number; radiusMm: number; shape: 'disk' | 'sphere' }
  thresholdEnabled: boolean
  /** The view a one-slice case is shown in, or null for a 3D case (3D-only choices are off). */
  singleSliceView: string | null
  /** The status line: a key that cannot act says why here. */
  message: string | null
  display: { outline: boolean; opacity: number }
  undo(): void
  redo(): void
  save(): Promise<unknown> | void
  setStatus(status: 'done'): Promise<unknown> | void
  setTool(id: string): void
  runAction(id: string): void
  /** Esc: the active tool ends what it has in progress (a measurement is cleared). */
  cancelTool(): void
  setRadius(radiusMm: number): void
  scrollActive(delta: number): void
  resetViews(): void
  applyDisplay(): void
}

/** Everything a command may do: the workspace plus what the page itself owns. */
export interface CommandContext {
  workspace: CommandTarget
  setLayout(layout: Layout): void
  toggleHelp(): void
  /** Closes the help sheet; false when it was not open. */
  closeHelp(): boolean
  openNextCase(): void
}

export type CommandGroup = 'Tools' | 'Edit' | 'View'

export interface Command {
  /** 'tool.<tool id>', 'action.<action id>' or a name of its own ('edit.undo'). */
  id: string
  group: CommandGroup
  /** Chords that run the command, in the notation above; none for a button-only command. */
  keys: readonly string[]
  /** How the help sheet writes the keys when listing them all would be long ('1 … 9'). */
  keysText?: string
  description: string
  /** `key` is the key pressed (the label commands read the digit). */
  run(context: CommandContext, key: string): void
}

/** Mouse gestures, listed on the help sheet beside the keys (the viewer implements them). */
export const GESTURES: ReadonlyArray<{ group: CommandGroup; keys: string; description: string }> = [
  { group: 'Tools', keys: 'Ctrl + wheel', description: 'Brush smaller / larger' },
  { group: 'View', keys: 'Wheel', description: 'Next / previous slice (in a 2D image: zoom)' },
  { group: 'View', keys: 'Alt + wheel', description: 'Zoom' },
  { group: 'View', keys: 'Shift + drag, middle drag', description: 'Pan' },
  { group: 'View', keys: 'Right drag', description: 'Window / level' }
]

const RADIUS_STEP = 1.25
const LABEL_DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'] as const

function layoutCommand(layout: Layout, key: string, name: string): Command {
  return { id: `layout.${layout}`, group: 'View', keys: [key], description: `Layout: ${name}`, run: (c) => c.setLayout(layout) }
}

/** The tools' own commands: choosing each pointer tool, and each action. */
function toolCommands(): Command[] {
  const commands: Command[] = []
  for (const tool of TOOLS) {
    if (tool.create) {
      commands.push({ id: `tool.${tool.id}`, group: 'Tools', keys: tool.keys ?? [], description: tool.description, run: (c) => c.workspace.setTool(tool.id) })
    }
    for (const action of tool.actions ?? []) {
      commands.push({ id: `action.${action.id}`, group: 'Tools', keys: action.keys ?? [], description: action.description, run: (c) => c.workspace.runAction(action.id) })
    }
  }
  return commands
}

export const COMMANDS: readonly Command[] = [
  ...toolCommands(),
  {
    id: 'threshold.toggle',
    group: 'Tools',
    keys: ['t'],
    description: 'Threshold-limited painting on / off',
    run: (c) => {
      c.workspace.thresholdEnabled = !c.workspace.thresholdEnabled
    }
  },
  {
    id: 'label.choose',
    group: 'Tools',
    keys: LABEL_DIGITS,
    keysText: '1 … 9',
    description: 'Choose the active label',
    run: (c, key) => {
      c.workspace.tools.activeLabel = Number(key)
    }
  },
  { id: 'brush.smaller', group: 'Tools', keys: ['['], description: 'Brush smaller', run: (c) => c.workspace.setRadius(c.workspace.tools.radiusMm / RADIUS_STEP) },
  { id: 'brush.larger', group: 'Tools', keys: [']'], description: 'Brush larger', run: (c) => c.workspace.setRadius(c.workspace.tools.radiusMm * RADIUS_STEP) },
  {
    id: 'brush.shape',
    group: 'Tools',
    keys: ['s'],
    description: 'Brush shape: 2D disk / 3D sphere',
    run: (c) => {
      const next = c.workspace.tools.shape === 'disk' ? 'sphere' : 'disk'
      // The sphere is off in a 2D image (brush/tool.ts): the key says why rather than doing nothing.
      const off = reasonFor(unavailableChoices({ singleSlice: c.workspace.singleSliceView !== null }), 'shape', next)
      if (off) c.workspace.message = off
      else c.workspace.tools.shape = next
    }
  },
  { id: 'edit.undo', group: 'Edit', keys: ['Ctrl+Z'], description: 'Undo', run: (c) => c.workspace.undo() },
  { id: 'edit.redo', group: 'Edit', keys: ['Ctrl+Shift+Z', 'Ctrl+Y'], description: 'Redo', run: (c) => c.workspace.redo() },
  { id: 'edit.save', group: 'Edit', keys: ['Ctrl+S'], description: 'Save the label', run: (c) => void c.workspace.save() },
  { id: 'case.done', group: 'Edit', keys: ['d'], description: 'Mark the case done (curated)', run: (c) => void c.workspace.setStatus('done') },
  { id: 'case.next', group: 'Edit', keys: ['Shift+N'], description: 'Next case: the least certain one not done', run: (c) => c.openNextCase() },
  {
    id: 'edit.cancel',
    group: 'Edit',
    keys: ['Escape'],
    description: 'Close the help; end the tool’s current work',
    run: (c) => {
      if (!c.closeHelp()) c.workspace.cancelTool()
    }
  },
  { id: 'view.sliceUp', group: 'View', keys: ['ArrowUp'], description: 'Next slice', run: (c) => c.workspace.scrollActive(1) },
  { id: 'view.sliceDown', group: 'View', keys: ['ArrowDown'], description: 'Previous slice', run: (c) => c.workspace.scrollActive(-1) },
  { id: 'view.pageUp', group: 'View', keys: ['PageUp'], description: '10 slices on', run: (c) => c.workspace.scrollActive(10) },
  { id: 'view.pageDown', group: 'View', keys: ['PageDown'], description: '10 slices back', run: (c) => c.workspace.scrollActive(-10) },
  { id: 'view.reset', group: 'View', keys: ['r'], description: 'Reset zoom and pan', run: (c) => c.workspace.resetViews() },
  layoutCommand('grid', 'g', '2×2 grid'),
  layoutCommand('1x3', 'Shift+G', '1×3, the three slices side by side'),
  layoutCommand('axial', 'a', 'axial'),
  layoutCommand('coronal', 'c', 'coronal'),
  layoutCommand('sagittal', 'v', 'sagittal'),
  layoutCommand('3d', 'x', '3D'),
  {
    id: 'labels.outline',
    group: 'View',
    keys: ['o'],
    description: 'Labels filled / outlined',
    run: (c) => {
      c.workspace.display.outline = !c.workspace.display.outline
      c.workspace.applyDisplay()
    }
  },
  {
    id: 'labels.hide',
    group: 'View',
    keys: ['h'],
    description: 'Hide / show all labels',
    run: (c) => {
      c.workspace.display.opacity = c.workspace.display.opacity > 0 ? 0 : 0.5
      c.workspace.applyDisplay()
    }
  },
  { id: 'help.toggle', group: 'View', keys: ['?'], description: 'Keyboard shortcuts (this help)', run: (c) => c.toggleHelp() }
]

interface Chord {
  key: string
  ctrl: boolean
  shift: boolean
  alt: boolean
}

/** A chord of the notation above, e.g. 'Ctrl+Shift+Z' → { key: 'z', ctrl, shift }. */
export function parseChord(text: string): Chord {
  const parts = text.split('+')
  // '+' itself would be the last part after a trailing '+': 'Ctrl++'.
  const key = text.endsWith('++') ? '+' : (parts.pop() ?? '')
  const modifiers = new Set(parts.filter((p) => p !== ''))
  return { key: key.length === 1 ? key.toLowerCase() : key, ctrl: modifiers.has('Ctrl'), shift: modifiers.has('Shift'), alt: modifiers.has('Alt') }
}

/** The key-event fields a chord is matched on. */
export type KeyStroke = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>

function isLetter(key: string): boolean {
  return key.length === 1 && key.toLowerCase() !== key.toUpperCase()
}

export function chordMatches(chord: Chord, event: KeyStroke): boolean {
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key
  if (key !== chord.key) return false
  if ((event.ctrlKey || event.metaKey) !== chord.ctrl || event.altKey !== chord.alt) return false
  // Symbols and digits are typed with or without Shift depending on the layout.
  return !(isLetter(chord.key) || chord.key.length > 1) || event.shiftKey === chord.shift
}

/** The command a key press runs, or undefined. */
export function commandForKey(event: KeyStroke, commands: readonly Command[] = COMMANDS): Command | undefined {
  return commands.find((command) => command.keys.some((keys) => chordMatches(parseChord(keys), event)))
}

const KEY_NAMES: Readonly<Record<string, string>> = {
  ArrowUp: '↑',
  ArrowDown: '↓',
  ArrowLeft: '←',
  ArrowRight: '→',
  PageUp: 'Page Up',
  PageDown: 'Page Down',
  Escape: 'Esc'
}

/** One chord as people read it: 'Ctrl+Shift+Z' → 'Ctrl + Shift + Z', 'b' → 'B'. */
export function formatChord(text: string): string {
  const chord = parseChord(text)
  const key = KEY_NAMES[chord.key] ?? (chord.key.length === 1 ? chord.key.toUpperCase() : chord.key)
  return [chord.ctrl ? 'Ctrl' : null, chord.alt ? 'Alt' : null, chord.shift ? 'Shift' : null, key].filter((p) => p !== null).join(' + ')
}

/** A command's keys as the help sheet and tooltips write them ('' when it has none). */
export function keysText(command: Command): string {
  return command.keysText ?? command.keys.map(formatChord).join(', ')
}

export function findCommand(id: string): Command {
  const command = COMMANDS.find((c) => c.id === id)
  // A tooltip naming a command that does not exist is a programming error, caught by the unit test.
  if (!command) throw new Error(`no workspace command '${id}'`)
  return command
}

/** A button's tooltip: what its command does and its shortcut, e.g. 'Undo (Ctrl + Z)'. */
export function tooltip(id: string, text?: string): string {
  const command = findCommand(id)
  const keys = keysText(command)
  const what = text ?? command.description
  return keys ? `${what} (${keys})` : what
}

export interface HelpRow {
  keys: string
  description: string
}

/** The help sheet: per group, every command that has keys, then the group's mouse gestures. */
export function helpSheet(commands: readonly Command[] = COMMANDS): Array<{ title: CommandGroup; rows: HelpRow[] }> {
  const groups: CommandGroup[] = ['Tools', 'Edit', 'View']
  return groups.map((title) => ({
    title,
    rows: [
      ...commands.filter((c) => c.group === title && c.keys.length > 0).map((c) => ({ keys: keysText(c), description: c.description })),
      ...GESTURES.filter((g) => g.group === title).map((g) => ({ keys: g.keys, description: g.description }))
    ]
  }))
}
