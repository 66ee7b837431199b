import path from 'node:path'

// Rollup may place this module in a shared chunk (out/main/chunks/), so find out/main itself.
const mainDir = path.basename(__dirname) === 'chunks' ? path.dirname(__dirname) : __dirname

/**
 * Where the built pieces sit relative to the bundled main code (`mainDir`, out/main): the engine
 * entry beside it, the renderer in out/renderer, the preload in out/preload. A function of the
 * folder so that the packaging test can check that the installers hold every one of them.
 */
export function runtimePathsFor(outMainDir: string): { engineEntry: string; rendererDir: string; rendererIndex: string; preload: string; gpuHostPreload: string } {
  return {
    engineEntry: path.join(outMainDir, 'engine.js'),
    rendererDir: path.join(outMainDir, '..', 'renderer'),
    rendererIndex: path.join(outMainDir, '..', 'renderer', 'index.html'),
    preload: path.join(outMainDir, '..', 'preload', 'index.js'),
    // The GPU window's preload (gpuWindow.ts): it only forwards the engine's port to the page.
    gpuHostPreload: path.join(outMainDir, '..', 'preload', 'gpuHost.js')
  }
}

export const runtimePaths = runtimePathsFor(mainDir)
