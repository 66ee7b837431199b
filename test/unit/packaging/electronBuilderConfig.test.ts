/**
 * The installers' configuration (electron-builder.config.ts) against what the app really loads: the
 * built entry points named by package.json, runtimePaths and the electron-vite config, and every file
 * the engine's backend loaders read from node_modules when they run (traceRuntimeFiles.ts). Globs are
 * matched by electron-builder's own FileMatcher, so a pattern that would drop one of them fails here.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { getFileMatchers, FileMatcher } from 'app-builder-lib/out/fileMatcher'
import type { Configuration } from 'electron-builder'
import { beforeAll, describe, expect, it } from 'vitest'
import config from '../../../electron-builder.config'
import viteConfigExport from '../../../electron.vite.config'
import { runtimePathsFor } from '../../../src/main/runtimePaths'

const root = path.resolve(__dirname, '../../..')
const packageJson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string }
// The matchers only ask whether a path is a directory: the stats of this (regular) file answer that.
const regularFile = statSync(__filename)

type Filter = (file: string) => boolean

/** electron-builder's matcher for one list of patterns in the config, as a yes/no on project-relative paths. */
function matcherFor(name: 'files' | 'asarUnpack', configuration: Configuration = config): Filter {
  const matchers = getFileMatchers(configuration, name, '/app', {
    macroExpander: (pattern) => pattern,
    customBuildOptions: {},
    globalOutDir: path.join(root, 'dist'),
    defaultSrc: root
  })
  if (!matchers) return () => false
  const filters = matchers.map((matcher) => matcher.createFilter())
  return (file) => filters.some((filter) => filter(path.join(root, file), regularFile))
}

/**
 * What electron-builder applies to node_modules: everything, less the exclusions (`!…`) in `files`
 * (its getNodeModuleFileMatcher).
 */
function nodeModulesFilter(configuration: Configuration = config): Filter {
  const exclusions = (configuration.files as string[]).filter((pattern) => pattern.startsWith('!'))
  const filter = new FileMatcher(root, '/app', (pattern) => pattern, ['**/*', ...exclusions]).createFilter()
  return (file) => filter(path.join(root, file), regularFile)
}

/** Package folders electron-builder ships: the dependencies and installed optional dependencies, transitively. */
function productionPackages(): Set<string> {
  const shipped = new Set<string>()
  const visit = (dir: string): void => {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>
      optionalDependencies?: Record<string, string>
    }
    for (const name of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      const found = resolvePackageDir(dir, name)
      if (found && !shipped.has(found)) {
        shipped.add(found)
        visit(found)
      }
    }
  }
  visit(root)
  return shipped
}

/** Node's lookup: <dir>/node_modules/<name>, then each parent folder's, up to the project. */
function resolvePackageDir(from: string, name: string): string | null {
  for (let dir = from; dir.startsWith(root); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name)
    if (existsSync(path.join(candidate, 'package.json'))) return candidate
    if (dir === root) break
  }
  return null
}

/** The package folder a file under node_modules belongs to (the innermost one). */
function packageDirOf(file: string): string {
  const marker = `${path.sep}node_modules${path.sep}`
  const at = file.lastIndexOf(marker)
  const rest = file.slice(at + marker.length).split(path.sep)
  return file.slice(0, at + marker.length) + (rest[0].startsWith('@') ? path.join(rest[0], rest[1]) : rest[0])
}

/** The desktop app's built entry points: package.json main, runtimePaths, and electron-vite's main inputs. */
function builtEntryPoints(): string[] {
  if (typeof viteConfigExport === 'function' || viteConfigExport instanceof Promise) throw new Error('electron.vite.config.ts no longer exports a plain object')
  const input = viteConfigExport.main?.build?.rollupOptions?.input
  if (!input || typeof input === 'string' || Array.isArray(input)) throw new Error('electron.vite.config.ts: main inputs are no longer named')
  // The CLI entry runs under plain Node from a checkout (bin/voxloop.cjs), never from the installed app.
  const mainEntries = Object.keys(input).filter((name) => name !== 'cli').map((name) => `out/main/${name}.js`)
  const paths = runtimePathsFor(path.join(root, 'out', 'main'))
  const fromRuntimePaths = [paths.engineEntry, paths.preload, paths.gpuHostPreload, paths.rendererIndex, path.join(paths.rendererDir, 'gpu-host.html')].map((file) => path.relative(root, file).split(path.sep).join('/'))
  return [...new Set([packageJson.main, ...fromRuntimePaths, ...mainEntries])]
}

describe('electron-builder.config.ts: what is built', () => {
  it('builds AppImage and .deb on Linux, NSIS on Windows, DMG on macOS', () => {
    expect(config.linux?.target).toEqual(['AppImage', 'deb'])
    expect(config.win?.target).toEqual(['nsis'])
    expect(config.mac?.target).toEqual(['dmg'])
  })

  it('flips the fuses: no run-as-node, no NODE_OPTIONS, no --inspect, only app.asar and only if intact, no file:// privileges', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      grantFileProtocolExtraPrivileges: false,
      enableCookieEncryption: false
    })
  })

  it('has an app icon large enough for every target (electron-builder wants ≥ 512 px for macOS)', () => {
    const png = readFileSync(path.join(root, config.directories?.buildResources ?? 'build', 'icon.png'))
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG')
    // IHDR: width and height, big-endian, at bytes 16 and 20.
    expect(Math.min(png.readUInt32BE(16), png.readUInt32BE(20))).toBeGreaterThanOrEqual(512)
  })

  it('packs the app into app.asar, rebuilds nothing and publishes nowhere (offline builds, no update feed)', () => {
    expect(config.asar).toBe(true)
    expect(config.npmRebuild).toBe(false)
    expect(config.publish).toBeNull()
  })
})

describe('electron-builder.config.ts: every file the app loads is inside', () => {
  const files = matcherFor('files')

  it('includes every built entry point: main, engine, gradient worker, both preloads, renderer, the GPU window page', () => {
    const entries = builtEntryPoints()
    expect(entries).toEqual(expect.arrayContaining(['out/main/index.js', 'out/main/engine.js', 'out/main/gradientWorker.js', 'out/preload/index.js', 'out/preload/gpuHost.js', 'out/renderer/index.html', 'out/renderer/gpu-host.html']))
    expect(entries.filter((file) => !files(file))).toEqual([])
  })

  it('includes whatever Rollup and Vite emit beside them (shared chunks, hashed assets, wasm)', () => {
    const emitted = ['out/main/chunks/handlers-AbC123.js', 'out/renderer/assets/index-AbC123.js', 'out/renderer/assets/index-AbC123.css', 'out/renderer/assets/kernel-AbC123.wasm', 'out/renderer/favicon.svg']
    expect(emitted.filter((file) => !files(file))).toEqual([])
  })

  it('leaves out the sources, the tests, the CLI bundle and the build configuration', () => {
    const outside = ['src/main/index.ts', 'test/unit/packaging/electronBuilderConfig.test.ts', 'out/main/cli.js', 'electron-builder.config.ts', 'bench/run.ts']
    expect(outside.filter((file) => files(file))).toEqual([])
  })

  it('keeps app code inside the asar (the integrity fuse covers only that) and unpacks only the libtensorflow bindings', () => {
    const unpack = matcherFor('asarUnpack')
    expect(builtEntryPoints().filter((file) => unpack(file))).toEqual([])
    expect(unpack('node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.wasm')).toBe(false)
    // dlopen'd by the OS loader beside the binding, which an asar path cannot satisfy.
    expect(unpack('node_modules/@tensorflow/tfjs-node/deps/lib/libtensorflow.so.2')).toBe(true)
    expect(unpack('node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node')).toBe(true)
  })

  describe('the files the engine reads from node_modules at run time', () => {
    let traced: string[] = []

    beforeAll(() => {
      const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'traceRuntimeFiles.ts')], { cwd: root, encoding: 'utf8', timeout: 120_000 })
      if (run.status !== 0) throw new Error(`traceRuntimeFiles.ts failed (${run.error?.message ?? `exit ${run.status}`}): ${run.stderr}`)
      traced = (JSON.parse(run.stdout) as string[]).filter((file) => file.startsWith(path.join(root, 'node_modules') + path.sep))
    }, 130_000)

    it('were seen: tfjs itself, the wasm binaries of the plain and the threaded build, and the DICOM converter', () => {
      const relative = traced.map((file) => path.relative(root, file).split(path.sep).join('/'))
      expect(relative).toEqual(
        expect.arrayContaining([
          'node_modules/@tensorflow/tfjs/dist/tf.node.js',
          'node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.wasm',
          'node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js',
          'node_modules/@niivue/dcm2niix/dist/dcm2niix.jpeg.js',
          'node_modules/@niivue/dcm2niix/dist/dcm2niix.jpeg.wasm'
        ])
      )
      expect(relative.some((file) => file.startsWith('node_modules/@tensorflow/tfjs-backend-wasm/dist/') && file.endsWith('.wasm'))).toBe(true)
    })

    it('all belong to shipped (production) packages and pass the exclusions in `files`', () => {
      const shipped = productionPackages()
      const keep = nodeModulesFilter()
      const missing = traced.filter((file) => !shipped.has(packageDirOf(file)) || !keep(path.relative(root, file).split(path.sep).join('/')))
      expect(missing).toEqual([])
    })

    it('(the check has teeth: excluding .wasm files, or shipping tfjs as a dev dependency, would be caught)', () => {
      const withoutWasm = nodeModulesFilter({ ...config, files: [...(config.files as string[]), '!**/*.wasm'] })
      expect(traced.filter((file) => !withoutWasm(path.relative(root, file).split(path.sep).join('/'))).length).toBeGreaterThanOrEqual(2)
      const shipped = productionPackages()
      shipped.delete(path.join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm'))
      expect(traced.some((file) => !shipped.has(packageDirOf(file)))).toBe(true)
      const withoutConverter = productionPackages()
      withoutConverter.delete(path.join(root, 'node_modules', '@niivue', 'dcm2niix'))
      expect(traced.filter((file) => !withoutConverter.has(packageDirOf(file)))).toHaveLength(2)
    })
  })
})
