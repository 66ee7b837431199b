/**
 * The two messages that set up the desktop app's GPU window channel (src/main/electron/gpuWindow.ts):
 * shared, since main sends them and the engine and the window's page receive them.
 */

/** The window-to-page message that carries the host's end of the channel (the preload forwards it). */
export const GPU_HOST_PORT_MESSAGE = 'voxloop:gpu-host-port'

/** What main sends the engine (its utilityProcess) with the engine's end of the channel. */
export const GPU_HOST_PORT_KIND = 'gpu-host-port'
