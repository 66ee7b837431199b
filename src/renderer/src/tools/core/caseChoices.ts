import type { OpenCaseShape, ToolSettings, UnavailableChoice } from '../voxelTool'

/**
 * Settings the open case cannot use (voxelTool.ts, UnavailableChoice): a tool declares them, the panel
 * disables them with the reason, and the tool reads the value to use instead. Pure, so that the
 * rule is tested without a panel or a viewer.
 */

/** A 3D case when the context does not say (unit tests of 3D volumes). */
export const OPEN_3D: OpenCaseShape = { singleSlice: false }

/** The value a tool uses for `key`: the user's, unless a choice makes it unavailable, then its `instead`. */
export function choiceFor<K extends keyof ToolSettings>(settings: Readonly<ToolSettings>, key: K, choices: readonly UnavailableChoice[]): ToolSettings[K] {
  const value = settings[key]
  const choice = choices.find((entry) => entry.setting === key && entry.value === value)
  return choice ? (choice.instead as ToolSettings[K]) : value
}

/** Why `value` of `key` cannot be used on the open case, or null when it can. */
export function reasonFor<K extends keyof ToolSettings>(choices: readonly UnavailableChoice[] | undefined, key: K, value: ToolSettings[K]): string | null {
  return choices?.find((entry) => entry.setting === key && entry.value === value)?.reason ?? null
}
