/** Every keyboard shortcut of the case workspace, shown by the help overlay ("?"). */
export interface Shortcut {
  keys: string
  action: string
}

export const SHORTCUT_GROUPS: Array<{ title: string; items: Shortcut[] }> = [
  {
    title: 'Tools',
    items: [
      { keys: 'N', action: 'Navigate: click moves the crosshair' },
      { keys: 'B', action: 'Brush' },
      { keys: 'E', action: 'Eraser' },
      { keys: 'F', action: 'Fill (2D or 3D flood fill)' },
      { keys: 'T', action: 'Threshold-limited painting on/off' },
      { keys: 'P', action: 'Pick the threshold range from the image (click)' },
      { keys: 'I', action: 'Interpolate the active label between slices of the active view' },
      { keys: '1 … 9', action: 'Choose the active label' },
      { keys: '[  ]  or Ctrl + wheel', action: 'Brush smaller / larger' },
      { keys: 'S', action: 'Brush shape: 2D disk / 3D sphere' }
    ]
  },
  {
    title: 'Edit',
    items: [
      { keys: 'Ctrl + Z', action: 'Undo' },
      { keys: 'Ctrl + Shift + Z, Ctrl + Y', action: 'Redo' },
      { keys: 'Ctrl + S', action: 'Save the label' },
      { keys: 'D', action: 'Mark the case done (curated)' },
      { keys: 'Shift + N', action: 'Next case: the least certain one not done' }
    ]
  },
  {
    title: 'View',
    items: [
      { keys: 'Wheel, ↑ ↓, Page Up / Down', action: 'Next / previous slice (Page: 10 slices)' },
      { keys: 'Alt + wheel', action: 'Zoom' },
      { keys: 'Shift + drag, middle drag', action: 'Pan' },
      { keys: 'Right drag', action: 'Window / level' },
      { keys: 'R', action: 'Reset zoom and pan' },
      { keys: 'G, A, C, V, X', action: 'Layout: grid, axial, coronal, sagittal, 3D' },
      { keys: 'O', action: 'Labels filled / outlined' },
      { keys: 'H', action: 'Hide / show all labels' },
      { keys: '?', action: 'This help' },
      { keys: 'Esc', action: 'Close help' }
    ]
  }
]
