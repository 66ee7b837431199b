import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { link, open, readFile, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import path from 'node:path'
import { VoxloopError } from '../../../shared/errors'
import { isErrno } from './fsUtil'
import { syncDirectory } from '../../../node/storage/durableWrite'

/**
 * One writer per project: `.voxloop.lock` names its owner (pid, process start time, boot, host) and
 * a random nonce. Two rules make it hold when many processes race, a stale lock included:
 *
 * - The lock appears whole or not at all: it is written to a private temporary file, then
 *   hard-linked to the lock name. `link` fails with EEXIST when the name exists, so exactly one
 *   racer creates it, and no reader ever sees an empty or half-written lock (the old `open('wx')`
 *   then write let a second process read an empty file, call it stale and take it).
 * - A stale lock (its owner's process is gone, or its pid now belongs to a process started later)
 *   is removed only by the one process that first claims it: the claim is `.voxloop.lock.break-<nonce>`,
 *   created by the same link rule. The nonce is the stale lock's own, so a claim can never remove a
 *   newer lock that replaced it; the claimant re-reads the lock after winning and removes it only if
 *   the nonce still matches. Deleting a lock by name after reading it (the old code) let B delete
 *   the fresh lock A had just created in place of the stale one, and both opened the project.
 *   A claimant that crashes leaves a claim that is itself stale and is broken by the same rule.
 */

interface LockOwner {
  pid: number
  host: string
  /** Process start time in clock ticks since boot (Linux), so a reused pid is not mistaken for the owner. */
  startTicks: number | null
  /** Kernel boot id (Linux): a lock from before a reboot is stale whatever its pid. */
  bootId: string | null
  nonce: string
  since: string
}

export interface ProjectLock {
  release(): Promise<void>
}

export interface AcquireLockOptions {
  /** Take the lock even when another owner looks alive (e.g. a stale lock from another host). */
  force?: boolean
}

const BREAK_ATTEMPTS = 50
const CLAIM_DEPTH_LIMIT = 8

function readProcText(file: string): string | null {
  if (process.platform !== 'linux') return null
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return null
  }
}

/** Field 22 of /proc/<pid>/stat: start time after boot in clock ticks (the comm field may hold spaces). */
export function processStartTicks(pid: number): number | null {
  const stat = readProcText(`/proc/${pid}/stat`)
  if (stat === null) return null
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[19])
  return Number.isFinite(ticks) ? ticks : null
}

function bootId(): string | null {
  return readProcText('/proc/sys/kernel/random/boot_id')?.trim() ?? null
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return isErrno(error, 'EPERM')
  }
}

/** Whether the owner named in a lock still runs (always true for another host: we cannot tell). */
export function ownerIsAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true
  const currentBoot = bootId()
  if (owner.bootId !== null && currentBoot !== null && owner.bootId !== currentBoot) return false
  if (!pidExists(owner.pid)) return false
  if (owner.startTicks === null) return true
  const ticks = processStartTicks(owner.pid)
  return ticks === null || ticks === owner.startTicks
}

/**
 * Locks written by earlier versions have no nonce (and may be empty: they were created, then
 * written); they are identified by a hash of their bytes instead, which breakStale re-checks the same way.
 */
function contentNonce(text: string): string {
  return `content-${createHash('sha256').update(text).digest('hex').slice(0, 24)}`
}

function parseOwner(text: string): LockOwner | null {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>
    if (typeof value.pid !== 'number' || typeof value.host !== 'string') return null
    return {
      pid: value.pid,
      host: value.host,
      startTicks: typeof value.startTicks === 'number' ? value.startTicks : null,
      bootId: typeof value.bootId === 'string' ? value.bootId : null,
      nonce: typeof value.nonce === 'string' ? value.nonce : contentNonce(text),
      since: String(value.since ?? '')
    }
  } catch {
    return null
  }
}

/** `unreadable`: not a lock Voxloop writes now (whole, by link): an old version's torn lock or damage. */
type ReadLock = { state: 'absent' } | { state: 'owner'; owner: LockOwner } | { state: 'unreadable'; nonce: string }

async function readLock(file: string): Promise<ReadLock> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return { state: 'absent' }
    throw error
  }
  const owner = parseOwner(text)
  return owner ? { state: 'owner', owner } : { state: 'unreadable', nonce: contentNonce(text) }
}

function newOwner(): LockOwner {
  return {
    pid: process.pid,
    host: hostname(),
    startTicks: processStartTicks(process.pid),
    bootId: bootId(),
    nonce: randomBytes(12).toString('hex'),
    since: new Date().toISOString()
  }
}

/** Creates `file` holding `owner`, whole, unless it exists (false). */
async function createExclusive(file: string, owner: LockOwner): Promise<boolean> {
  const temporary = `${file}.${owner.nonce}.tmp`
  const handle = await open(temporary, 'wx')
  try {
    const bytes = Buffer.from(JSON.stringify(owner))
    const { bytesWritten } = await handle.write(bytes, 0, bytes.length, 0)
    if (bytesWritten !== bytes.length) throw new Error(`short write (${bytesWritten} of ${bytes.length} bytes)`)
    await handle.sync()
  } catch (error) {
    await handle.close().catch(() => undefined)
    await unlink(temporary).catch(() => undefined)
    throw error
  }
  await handle.close()
  try {
    await link(temporary, file)
    return true
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return false
    throw error
  } finally {
    await unlink(temporary).catch(() => undefined)
  }
}

/** Removes `file` if it still holds the lock with `nonce`, guarded by a claim only one process can win. */
async function breakStale(file: string, nonce: string, force: boolean, depth: number): Promise<void> {
  const claimFile = `${file}.break-${nonce}`
  const claim = newOwner()
  if (!(await createExclusive(claimFile, claim))) {
    // Another process is breaking this lock. If that one died mid-way, its claim is stale: break it.
    const current = await readLock(claimFile)
    if (depth >= CLAIM_DEPTH_LIMIT || current.state === 'absent') return
    if (current.state === 'unreadable') await breakStale(claimFile, current.nonce, true, depth + 1)
    else if (!ownerIsAlive(current.owner)) await breakStale(claimFile, current.owner.nonce, false, depth + 1)
    return
  }
  try {
    const now = await readLock(file)
    const nowNonce = now.state === 'owner' ? now.owner.nonce : now.state === 'unreadable' ? now.nonce : null
    if (nowNonce === nonce) {
      if (!force && now.state === 'owner' && ownerIsAlive(now.owner)) return
      await unlink(file).catch((error: unknown) => {
        if (!isErrno(error, 'ENOENT')) throw error
      })
    }
  } finally {
    await unlink(claimFile).catch(() => undefined)
  }
}

function describeOwner(owner: LockOwner): string {
  const self = owner.pid === process.pid && owner.host === hostname()
  return self ? 'this process' : `pid ${owner.pid} on ${owner.host} (since ${owner.since})`
}

export async function acquireProjectLock(file: string, projectDir: string, options: AcquireLockOptions = {}): Promise<ProjectLock> {
  const force = options.force ?? false
  for (let attempt = 0; attempt < BREAK_ATTEMPTS; attempt++) {
    const owner = newOwner()
    if (await createExclusive(file, owner)) {
      await syncDirectory(path.dirname(file)).catch(() => undefined)
      return { release: () => releaseLock(file, owner.nonce) }
    }
    const current = await readLock(file)
    if (current.state === 'absent') continue
    if (current.state === 'unreadable') {
      // Locks are created whole, so no live Voxloop holds an unreadable one: an old version crashed
      // between creating and writing it.
      await breakStale(file, current.nonce, true, 0)
    } else {
      if (!force && ownerIsAlive(current.owner)) {
        throw new VoxloopError('FORBIDDEN', `Project ${projectDir} is already open in ${describeOwner(current.owner)} (lock file ${file})`)
      }
      await breakStale(file, current.owner.nonce, force, 0)
    }
    // A racer may be breaking the same lock: give it a moment before looking again.
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(50, 2 * attempt)))
  }
  throw new VoxloopError('BUSY', `Could not take the lock ${file} of project ${projectDir}: other processes keep taking it`)
}

/** Removes the lock only while it is still ours (a forced takeover elsewhere may have replaced it). */
async function releaseLock(file: string, nonce: string): Promise<void> {
  const current = await readLock(file).catch(() => ({ state: 'absent' }) as const)
  if (current.state === 'owner' && current.owner.nonce === nonce) {
    await unlink(file).catch((error: unknown) => {
      if (!isErrno(error, 'ENOENT')) throw error
    })
  }
}
