import type { Configuration } from 'electron-builder'

/**
 * The installers a hospital's IT installs (`npm run dist`): AppImage and .deb on Linux, an NSIS
 * installer on Windows, a DMG on macOS, each built on its own OS. Everything the app needs is inside:
 * the bundles in out/ (main, engine, gradient worker, preload, renderer), the production
 * node_modules (tfjs and the .wasm files of tfjs-backend-wasm, read from disk by the engine), and
 * Voxloop's native C kernels, which are compiled to WebAssembly and embedded in the engine bundle
 * (nativeKernelsWasm.generated.ts), as the demo project is generated in code: nothing is downloaded
 * at first start. test/unit/packaging/electronBuilderConfig.test.ts checks this file against what
 * the code loads.
 */

/** app.asar's contents besides package.json and the production dependencies (which electron-builder adds). */
const files = [
  'out/main/**',
  'out/preload/**',
  'out/renderer/**',
  // The command line runs under plain Node from a source checkout, never from the installed app.
  '!out/main/cli.js',
  // Applies to node_modules too: tfjs ships ~200 MB of source maps that nothing reads at run time.
  '!**/*.map'
]

const config: Configuration = {
  appId: 'org.voxloop.desktop',
  productName: 'Voxloop',
  // build/icon.png is resources/icon.svg drawn at 1024 px; electron-builder makes each OS's icons from it.
  directories: { output: 'dist', buildResources: 'build' },
  files,
  // Everything stays inside app.asar, where the integrity fuse covers it: Electron reads asar paths in
  // a utilityProcess (the engine, and its fs reads of the .wasm files) and, since v18, in
  // worker_threads (the gradient workers, and the threaded wasm pool whose pthread workers read
  // tfjs's script with fs.readFileSync).
  asar: true,
  // Except libtensorflow: the optional tfjs-node bindings dlopen a shared library that the OS loader
  // must find as a real file beside them. Unused (and absent) where those packages are not installed.
  asarUnpack: ['node_modules/@tensorflow/tfjs-node/**', 'node_modules/@tensorflow/tfjs-node-gpu/**'],
  // The tfjs-node bindings use N-API, which needs no rebuild for Electron; a rebuild would need the
  // network and a compiler on the build machine.
  npmRebuild: false,
  // No auto-update feed: the app never calls home.
  publish: null,
  // Flipped in the Electron binary before signing (@electron/fuses): the installed app cannot be
  // turned into a Node interpreter, debugged or fed other code through its environment or arguments.
  electronFuses: {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    onlyLoadAppFromAsar: true,
    enableEmbeddedAsarIntegrityValidation: true,
    // The app loads no file:// page (its renderer is app://voxloop/, src/main/electron/appProtocol.ts).
    grantFileProtocolExtraPrivileges: false,
    // The app stores no cookies (it loads no remote content): encrypting them would only bring in the
    // OS keychain, and the access prompts it can show, for nothing.
    enableCookieEncryption: false
  },
  linux: {
    target: ['AppImage', 'deb'],
    executableName: 'voxloop',
    category: 'Science',
    synopsis: 'Label 3D medical volumes and train your own segmentation models, offline',
    maintainer: 'Voxloop contributors'
  },
  win: { target: ['nsis'] },
  // Installed for every user of the workstation, to a folder IT may choose.
  nsis: { oneClick: false, perMachine: true, allowToChangeInstallationDirectory: true },
  mac: { target: ['dmg'], category: 'public.app-category.medical' }
}

export default config
