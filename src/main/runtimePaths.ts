import path from 'node:path'

// Rollup may place this module in a shared chunk (out/main/chunks/), so find out/main itself.
const mainDir = path.basename(__dirname) === 'chunks' ? path.dirname(__dirname) : __dirname

/**
 * Where the built pieces sit relative to the bundled main code (out/main/*.js): the engine entry
 * beside it, the renderer in out/renderer, the preload in out/preload.
 */
export const runtimePaths = {
  engineEntry: path.join(mainDir, 'engine.js'),
  rendererDir: path.join(mainDir, '..', 'renderer'),
  rendererIndex: path.join(mainDir, '..', 'renderer', 'index.html'),
  preload: path.join(mainDir, '..', 'preload', 'index.js')
}
