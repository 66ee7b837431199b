import { hostname } from 'node:os'
import { open, readFile, rm } from 'node:fs/promises'
import { VoxloopError } from '../../../shared/errors'
import { isErrno } from './fsUtil'

/**
 * One writer per project: `.voxloop.lock` holds the owner's pid and host, created with O_EXCL.
 * A lock left by a process that no longer runs on this host (a crash) is taken over; a live owner,
 * including this process, makes opening fail so two stores never append to the same journal.
 */

interface LockOwner {
  pid: number
  host: string
  since: string
}

export interface ProjectLock {
  release(): Promise<void>
}

export interface AcquireLockOptions {
  /** Take the lock even when another owner looks alive (e.g. a stale lock from another host). */
  force?: boolean
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return isErrno(error, 'EPERM')
  }
}

async function readOwner(file: string): Promise<LockOwner | null> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as Partial<LockOwner>
    if (typeof owner.pid === 'number' && typeof owner.host === 'string') {
      return { pid: owner.pid, host: owner.host, since: String(owner.since ?? '') }
    }
  } catch {
    // Missing or torn (crash while creating it): treated as no owner.
  }
  return null
}

async function tryCreate(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'wx')
    const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() }
    await handle.writeFile(JSON.stringify(owner))
    await handle.close()
    return true
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return false
    throw error
  }
}

export async function acquireProjectLock(
  file: string,
  projectDir: string,
  options: AcquireLockOptions = {}
): Promise<ProjectLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await tryCreate(file)) return { release: () => rm(file, { force: true }) }
    const owner = await readOwner(file)
    const ownerIsLive = owner !== null && (owner.host !== hostname() || isAlive(owner.pid))
    if (ownerIsLive && !options.force) {
      const who = owner.pid === process.pid && owner.host === hostname() ? 'this process' : `pid ${owner.pid} on ${owner.host}`
      throw new VoxloopError('FORBIDDEN', `Project ${projectDir} is already open in ${who} (lock file ${file})`)
    }
    await rm(file, { force: true })
  }
  throw new VoxloopError('FORBIDDEN', `Could not take the lock ${file} of project ${projectDir}`)
}
