import os from 'node:os'
import path from 'node:path'

/**
 * Where settings and the recent list live outside Electron (serve mode, CLI). VOXLOOP_HOME wins so
 * that tests and portable installs can keep everything in one folder.
 */
export function resolveAppDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VOXLOOP_HOME) return path.resolve(env.VOXLOOP_HOME)
  const configHome = env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config')
  return path.join(configHome, 'voxloop')
}
