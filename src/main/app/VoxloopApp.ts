import { VoxloopError } from '../../shared/errors'
import type { BackendPreference } from '../../shared/backends'
import type { Settings, SettingsPatch } from '../../shared/settings'
import { engineArgv } from '../../shared/engineProtocol'
import type { HostInfo } from '../../shared/system'
import { EngineClient } from '../engine/EngineClient'
import type { EngineLaunchSpec, EngineLauncher } from '../engine/engineChannel'
import { RecentProjectsStore } from '../services/settings/RecentProjectsStore'
import { SettingsStore } from '../services/settings/SettingsStore'
import { SystemService } from '../services/system/SystemService'
import { EventHub } from './EventHub'
import type { Handlers } from './handlers'
import path from 'node:path'
import type { ProjectOverview } from '../../shared/contract'
import { ActiveProjectService } from '../services/activeProject/ActiveProjectService'
import { inspectFolder } from '../services/project/folderContents'
import { TrainingService } from '../services/training/TrainingService'
import { PredictionService } from '../services/prediction/PredictionService'

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
  readonly project: ActiveProjectService
  readonly training: TrainingService
  readonly predictions: PredictionService
  readonly handlers: Handlers

  private readonly backendOverride: BackendPreference | undefined

  private constructor(options: VoxloopAppOptions, backend: BackendPreference) {
    this.backendOverride = options.backendOverride
    const log = options.log ?? ((message: string) => console.warn(message))
    this.settings = new SettingsStore(options.appDataDir, log)
    this.recent = new RecentProjectsStore(options.appDataDir, log)
    this.engine = new EngineClient({
      launcher: options.engine.launcher,
      spec: { ...options.engine.spec, argv: engineArgv({ backend }) }
    })
    this.engine.onStatus((status) => this.events.emit('engine:status', status))
    this.project = new ActiveProjectService(this.events, path.join(options.appDataDir, 'demo-project'))
    this.training = new TrainingService({ engine: this.engine, events: this.events, store: () => this.project.activeStore(), log })
    this.predictions = new PredictionService({
      engine: this.engine,
      events: this.events,
      store: () => this.project.activeStore(),
      defaultModel: async () => {
        const active = this.project.activeModel()
        if (active) return active
        const usable = (await this.training.listModels()).filter((m) => m.usable)
        return usable.at(-1)?.version ?? null
      }
    })
    this.system = new SystemService({
      appVersion: options.appVersion,
      host: { mode: options.host.mode, canPickFolders: options.host.pickFolder !== undefined, ...(options.backendOverride ? { pinnedBackend: options.backendOverride } : {}) },
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

  async dispose(): Promise<void> {
    this.training.dispose()
    this.predictions.dispose()
    await this.project.dispose().catch((error: unknown) => console.warn(`Closing the project failed: ${(error as Error).message}`))
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
      'system:load': () => this.system.load(),
      'system:backends': async () => this.engine.start(),
      'settings:get': () => this.settings.get(),
      'settings:update': (patch) => this.updateSettings(patch),
      'projects:recent': () => this.recent.list(),
      'projects:forget': (folder) => this.recent.forget(folder),
      'projects:pickFolder': async (options) => {
        if (!host.pickFolder) {
          throw new VoxloopError('UNSUPPORTED_IN_THIS_MODE', 'A folder dialog is only available in the desktop app; type the path instead')
        }
        return host.pickFolder(options?.title)
      },
      'projects:open': (folder) => this.remembered(this.project.open(folder)),
      'projects:create': (input) => this.remembered(this.project.create(input)),
      'projects:createDemo': (options) => this.remembered(this.project.openDemo(options?.folder)),
      'projects:demoFolder': async () => this.project.defaultDemoFolder(),
      'projects:current': async () => this.project.current(),
      'projects:close': async () => {
        await this.project.close()
        return null
      },
      'projects:import': (source, options) => this.project.importFrom(source, options ?? {}),
      'projects:listDicomSeries': (source) => this.project.listDicomSeries(source),
      'projects:inspectFolder': (folder) => inspectFolder(path.resolve(folder)),
      'projects:cancelImport': async () => ({ cancelled: this.project.cancelImport() }),
      'projects:export': (options) => this.project.exportProject(options),
      'projects:setModality': (modality) => this.project.setModality(modality),
      'projects:updateLabels': (labels) => this.project.updateLabels(labels),
      'cases:list': async () => this.project.listCases(),
      'cases:setStatus': (caseId, status) => this.project.setStatus(caseId, status),
      'cases:setSplit': (caseId, split) => this.project.setSplit(caseId, split),
      'cases:setPixelSpacing': (request) => this.project.setPixelSpacing(request),
      'cases:load': (caseId) => this.project.loadCase(caseId),
      'cases:dicomSource': async (caseId) => this.project.getDicomSource(caseId),
      'cases:recordReview': (caseId, review) => this.project.recordReview(caseId, review),
      'models:activate': (version) => this.project.activateModel(version),
      'labels:edit': (caseId, edit) => this.project.applyLabelEdit(caseId, edit),
      'labels:save': (caseId) => this.project.saveLabel(caseId),
      'labels:discard': (caseId) => this.project.discardLabel(caseId),
      'training:start': (options) => this.training.start(options),
      'training:cancel': () => this.training.cancel(),
      'training:status': async () => this.training.getStatus(),
      'models:list': () => this.training.listModels(),
      'models:evaluate': (request) => this.training.evaluate(request.version, request.caseIds ?? (request.split ? { split: request.split } : undefined)),
      'predictions:run': (request) => this.predictions.start(request ?? {}),
      'predictions:cancel': () => this.predictions.cancel(),
      'predictions:status': async () => this.predictions.getStatus()
    }
  }

  /** A new compute backend applies at once: the engine restarts with it (unless --backend pinned one). */
  private async updateSettings(patch: SettingsPatch): Promise<Settings> {
    const before = await this.settings.get()
    const after = await this.settings.update(patch)
    if (after.computeBackend !== before.computeBackend && this.backendOverride === undefined) {
      this.engine.restart(engineArgv({ backend: after.computeBackend })).catch((error: unknown) => {
        this.events.emit('app:notice', { level: 'error', message: `Compute engine failed to start: ${(error as Error).message}` })
      })
    }
    return after
  }

  private async remembered(opening: Promise<ProjectOverview>): Promise<ProjectOverview> {
    const project = await opening
    await this.recent.remember({ path: project.path, name: project.name })
    return project
  }
}
