import { VoxloopError } from '../../shared/errors'
import type { BackendPreference } from '../../shared/backends'
import { engineArgv } from '../../shared/engineProtocol'
import type { HostInfo } from '../../shared/system'
import { EngineClient } from '../engine/EngineClient'
import type { EngineLaunchSpec, EngineLauncher } from '../engine/engineChannel'
import { RecentProjectsStore } from '../services/settings/RecentProjectsStore'
import { SettingsStore } from '../services/settings/SettingsStore'
import { SystemService } from '../services/system/SystemService'
import { EventHub } from './EventHub'
import type { Handlers } from './handlers'
import { inspectProjectFolder } from './projectFolders'

/** What differs between the desktop app and serve mode; everything else is shared. */
export interface HostAdapter {
  mode: HostInfo['mode']
  /** Native folder dialog; absent in serve mode, where the page asks for a typed path. */
  pickFolder?: (title?: string) => Promise<string | null>
}

export interface VoxloopAppOptions {
  appVersion: string
  appDataDir: string
  host: HostAdapter
  engine: { launcher: EngineLauncher; spec: Omit<EngineLaunchSpec, 'argv'> }
  /** --backend on the command line; overrides the setting for this run. */
  backendOverride?: BackendPreference
  log?: (message: string) => void
}

/**
 * The composition root shared by Electron main, `voxloop serve` and the CLI: builds every service
 * by hand, in order, and exposes one handler per contract channel.
 */
export class VoxloopApp {
  readonly events = new EventHub()
  readonly settings: SettingsStore
  readonly recent: RecentProjectsStore
  readonly system: SystemService
  readonly engine: EngineClient
  readonly handlers: Handlers

  private constructor(options: VoxloopAppOptions, backend: BackendPreference) {
    const log = options.log ?? ((message: string) => console.warn(message))
    this.settings = new SettingsStore(options.appDataDir, log)
    this.recent = new RecentProjectsStore(options.appDataDir, log)
    this.engine = new EngineClient({
      launcher: options.engine.launcher,
      spec: { ...options.engine.spec, argv: engineArgv({ backend }) }
    })
    this.engine.onStatus((status) => this.events.emit('engine:status', status))
    this.system = new SystemService({
      appVersion: options.appVersion,
      host: { mode: options.host.mode, canPickFolders: options.host.pickFolder !== undefined },
      engineStatus: () => this.engine.getStatus()
    })
    this.handlers = this.buildHandlers(options.host)
  }

  static async create(options: VoxloopAppOptions): Promise<VoxloopApp> {
    const settings = new SettingsStore(options.appDataDir)
    const backend = options.backendOverride ?? (await settings.get()).computeBackend
    const app = new VoxloopApp(options, backend)
    // Start the engine now so the backend is known by the time the first window asks.
    app.engine.start().catch((error: unknown) => {
      app.events.emit('app:notice', { level: 'error', message: `Compute engine failed to start: ${(error as Error).message}` })
    })
    return app
  }

  dispose(): void {
    this.engine.dispose()
    this.events.dispose()
    this.settings.dispose()
    this.recent.dispose()
    this.system.dispose()
  }

  private buildHandlers(host: HostAdapter): Handlers {
    return {
      'app:ping': async (value) => ({ echo: value, receivedAt: Date.now() }),
      'system:info': () => this.system.info(),
      'system:backends': async () => this.engine.start(),
      'settings:get': () => this.settings.get(),
      'settings:update': (patch) => this.settings.update(patch),
      'projects:recent': () => this.recent.list(),
      'projects:forget': (folder) => this.recent.forget(folder),
      'projects:pickFolder': async (options) => {
        if (!host.pickFolder) {
          throw new VoxloopError('UNSUPPORTED_IN_THIS_MODE', 'A folder dialog is only available in the desktop app; type the path instead')
        }
        return host.pickFolder(options?.title)
      },
      'projects:open': async (folder) => {
        const project = await inspectProjectFolder(folder)
        await this.recent.remember(project)
        return project
      }
    }
  }
}
