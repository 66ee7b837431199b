/**
 * Every labelling tool, in panel order. Adding a tool is one folder (kernel, `tool.ts` exporting a
 * `VoxelTool`, optional settings component) and one line here; the tool panel, the ToolController,
 * the keyboard, the help sheet and the tooltips all follow (README.md, "Adding a tool").
 */
import { VoxloopError } from '../../../shared/errors'
import { brushTool } from './brush/tool'
import { eraserTool } from './eraser/tool'
import { fillTool } from './fill/tool'
import { growFromSeedsTool } from './growFromSeeds/tool'
import { interpolateTool } from './interpolate/tool'
import { islandsTool } from './islands/tool'
import { navigateTool } from './navigate/tool'
import { pickThresholdTool } from './pickThreshold/tool'
import { rulerTool } from './ruler/tool'
import type { OpenCaseShape, ToolAction, UnavailableChoice, VoxelTool } from './voxelTool'

export type {
  OpenCaseShape,
  ToolAction,
  ToolContext,
  ToolHandler,
  ToolName,
  ToolSettings,
  ToolSettingsEmits,
  ToolSettingsProps,
  UnavailableChoice,
  VoxelTool
} from './voxelTool'

export const TOOLS: readonly VoxelTool[] = checkedTools([
  navigateTool,
  brushTool,
  eraserTool,
  fillTool,
  growFromSeedsTool,
  pickThresholdTool,
  rulerTool,
  interpolateTool,
  islandsTool
])

/** Ids of tools and actions share one namespace (commands are `tool.<id>` and `action.<id>`): a clash is a bug. */
function checkedTools(tools: VoxelTool[]): readonly VoxelTool[] {
  const seen = new Set<string>()
  const claim = (kind: string, id: string): void => {
    if (seen.has(`${kind}:${id}`)) throw new VoxloopError('INVALID_ARGUMENT', `two labelling tools register the ${kind} id '${id}'`)
    seen.add(`${kind}:${id}`)
  }
  for (const tool of tools) {
    claim('tool', tool.id)
    for (const action of tool.actions ?? []) claim('action', action.id)
  }
  return Object.freeze([...tools])
}

/** The tool with this id, or undefined. */
export function findTool(id: string): VoxelTool | undefined {
  return TOOLS.find((tool) => tool.id === id)
}

/** The action with this id and the tool that offers it, or undefined. */
export function findAction(id: string): { tool: VoxelTool; action: ToolAction } | undefined {
  for (const tool of TOOLS) {
    const action = tool.actions?.find((a) => a.id === id)
    if (action) return { tool, action }
  }
  return undefined
}

/**
 * Every setting value the open case cannot use, from all tools (settings are shared: the eraser and
 * the grow tool use the brush's shape), each setting and value once, in tool order.
 */
export function unavailableChoices(open: OpenCaseShape): readonly UnavailableChoice[] {
  const found = new Map<string, UnavailableChoice>()
  for (const tool of TOOLS) {
    for (const choice of tool.unavailableChoices?.(open) ?? []) {
      const key = `${choice.setting}=${String(choice.value)}`
      if (!found.has(key)) found.set(key, choice)
    }
  }
  return [...found.values()]
}
