import { reactive } from 'vue'

/**
 * The islands tool's own setting, shared by its settings component (which edits it) and its action
 * (which reads it): no other tool needs it, so it stays in this folder. Voxels, ≥ 1; default 20.
 */
export const islandOptions = reactive({ minVoxels: 20 })
