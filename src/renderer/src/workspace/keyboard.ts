import { commandForKey, type CommandContext, type KeyStroke } from './commands'

/** Input types in which keys type characters; every other input (checkbox, range, radio, colour) leaves them to the shortcuts. */
const TEXT_INPUT_TYPES: ReadonlySet<string> = new Set(['text', 'number', 'search', 'email', 'url', 'tel', 'password', 'date', 'datetime-local', 'month', 'time', 'week'])

/**
 * Whether keys pressed with focus on `target` are typing: a text-like input, a textarea or editable
 * content. Only then do shortcuts stand aside. Checkboxes, sliders, dropdowns and buttons keep the
 * focus after a click, and filtering on them made every shortcut die after touching one (issue #15
 * defect 3); the shortcut's key wins there (the handler prevents the control's own use of it).
 */
export function isTextEntry(target: EventTarget | null): boolean {
  if (!target || typeof target !== 'object') return false
  if ('isContentEditable' in target && target.isContentEditable === true) return true
  const tag = 'tagName' in target && typeof target.tagName === 'string' ? target.tagName.toUpperCase() : ''
  if (tag === 'TEXTAREA') return true
  if (tag !== 'INPUT') return false
  const type = 'type' in target && typeof target.type === 'string' ? target.type.toLowerCase() : 'text'
  return TEXT_INPUT_TYPES.has(type)
}

/**
 * The workspace's key handler: runs the command table's command for the key (commands.ts) unless
 * the user is typing in a text field. True when a command ran (the caller prevents the default).
 */
export function handleWorkspaceKey(event: KeyStroke & { target: EventTarget | null }, context: CommandContext): boolean {
  if (isTextEntry(event.target)) return false
  const command = commandForKey(event)
  if (!command) return false
  command.run(context, event.key)
  return true
}
