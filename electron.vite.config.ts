import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import type { Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'
import { contentSecurityPolicy } from './src/shared/csp'

/** The CSP meta tag: strict in builds, relaxed only for the dev server's HMR. */
function cspMetaTag(): Plugin {
  let dev = false
  return {
    name: 'voxloop-csp-meta',
    configResolved(config) {
      dev = config.command === 'serve'
    },
    transformIndexHtml() {
      return [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy({ dev, meta: true }) }, injectTo: 'head-prepend' }]
    }
  }
}

export default defineConfig({
  main: {
    build: {
      // One bundle per entry point: Electron main, the engine process, its gradient worker threads
      // (data-parallel training), the DICOM converter's worker thread, and the CLI (plain Node).
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          cli: resolve(__dirname, 'src/main/cli/index.ts'),
          engine: resolve(__dirname, 'src/engine/index.ts'),
          gradientWorker: resolve(__dirname, 'src/engine/train/parallel/gradientWorker.ts'),
          dcm2niixWorker: resolve(__dirname, 'src/node/formats/dicom/dcm2niixWorker.ts')
        }
      }
    }
  },
  preload: {
    // A sandboxed preload cannot require packages, so zod and the contract are bundled into it.
    // Two preloads: the app window's, and the GPU window's (it only forwards a port).
    build: {
      externalizeDeps: false,
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/preload/index.ts'),
          gpuHost: resolve(__dirname, 'src/preload/gpuHost.ts')
        }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    plugins: [vue(), cspMetaTag()],
    build: {
      // The app's page, and the GPU window's (src/main/electron/gpuWindow.ts).
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html'), gpuHost: resolve(__dirname, 'src/renderer/gpu-host.html') } }
    }
  }
})
