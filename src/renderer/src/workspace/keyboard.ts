import type { Layout } from '../viewer/VolumeViewer'
import type { useWorkspaceStore } from '../stores/useWorkspaceStore'

type Workspace = ReturnType<typeof useWorkspaceStore>

/** The workspace's shortcuts (listed for people in shortcuts.ts); true when the key was used. */
export function handleWorkspaceKey(event: KeyboardEvent, workspace: Workspace, setLayout: (layout: Layout) => void): boolean {
  const ctrl = event.ctrlKey || event.metaKey
  const key = event.key.toLowerCase()
  if (ctrl && key === 'z') {
    if (event.shiftKey) workspace.redo()
    else workspace.undo()
    return true
  }
  if (ctrl && key === 'y') {
    workspace.redo()
    return true
  }
  if (ctrl && key === 's') {
    void workspace.save()
    return true
  }
  if (ctrl || event.altKey) return false
  switch (event.key) {
    case 'ArrowUp':
      workspace.scrollActive(1)
      return true
    case 'ArrowDown':
      workspace.scrollActive(-1)
      return true
    case 'PageUp':
      workspace.scrollActive(10)
      return true
    case 'PageDown':
      workspace.scrollActive(-10)
      return true
    case '[':
      workspace.setRadius(workspace.tools.radiusMm / 1.25)
      return true
    case ']':
      workspace.setRadius(workspace.tools.radiusMm * 1.25)
      return true
  }
  if (/^[1-9]$/.test(event.key)) {
    workspace.tools.activeLabel = Number(event.key)
    return true
  }
  const actions: Record<string, () => void> = {
    n: () => workspace.setTool('navigate'),
    b: () => workspace.setTool('brush'),
    e: () => workspace.setTool('eraser'),
    f: () => workspace.setTool('fill'),
    p: () => workspace.setTool('pick-threshold'),
    t: () => {
      workspace.thresholdEnabled = !workspace.thresholdEnabled
    },
    i: () => workspace.interpolate(),
    s: () => {
      workspace.tools.shape = workspace.tools.shape === 'disk' ? 'sphere' : 'disk'
    },
    d: () => void workspace.setStatus('done'),
    r: () => workspace.resetViews(),
    o: () => {
      workspace.display.outline = !workspace.display.outline
      workspace.applyDisplay()
    },
    h: () => {
      workspace.display.opacity = workspace.display.opacity > 0 ? 0 : 0.5
      workspace.applyDisplay()
    },
    g: () => setLayout('grid'),
    a: () => setLayout('axial'),
    c: () => setLayout('coronal'),
    v: () => setLayout('sagittal'),
    x: () => setLayout('3d')
  }
  const action = actions[key]
  if (!action) return false
  action()
  return true
}
