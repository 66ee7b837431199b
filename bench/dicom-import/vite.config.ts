/**
 * The dicom-import bench's build: the app's main-process bundles exactly as electron.vite.config.ts
 * makes them for `npm run build` (the CLI and the DICOM converter's worker among them), plus the
 * bench's harness process. Written under node_modules/.cache, from where the bundles require their
 * dependencies as the built app does from out/.
 */
import { resolve } from 'node:path'
import { defineConfig, type UserConfig } from 'electron-vite'
import appConfig from '../../electron.vite.config'

function appMainInputs(): Record<string, string> {
  const input = (appConfig as UserConfig).main?.build?.rollupOptions?.input
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('electron.vite.config.ts: main.build.rollupOptions.input is not a map of entry points')
  return input
}

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: { ...appMainInputs(), dicomImportHarness: resolve(__dirname, 'harness.ts') }
      }
    }
  }
})
