/**
 * Disk-full cycles against a real small file system: a child process streams acknowledged label
 * edits into a project on a tmpfs; the harness fills the file system until the child's edits are
 * refused, frees the space, lets the child save more edits, SIGKILLs it, reopens the project and
 * checks that every acknowledged edit survived. Used by the unit test (a few cycles) and by
 * `npm run bench -- reliability` (20 or more).
 */
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import path from 'node:path'
import { createRng } from '../../../src/main/services/demo/seededRandom'
import { applyEdit } from '../../../src/main/services/project/labelOps'
import { ProjectStore } from '../../../src/main/services/project/ProjectStore'
import { imageHeaderForGrid } from '../../../src/node/formats/nifti/writeImageNifti'
import { DISK_FULL_CASE, DISK_FULL_DIMS, diskFullEditStream } from './diskFullStream'
import { readLines } from './childIo'

const CHILD = path.join(__dirname, 'diskFullChild.ts')

/** Mounts a tmpfs of `bytes` on `dir`; returns null on success or why it could not. */
export function mountSmallTmpfs(dir: string, bytes: number): string | null {
  if (process.platform !== 'linux') return `a tmpfs can only be mounted on Linux (this is ${process.platform})`
  mkdirSync(dir, { recursive: true })
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' })
    return null
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim()
    return `mounting a small tmpfs failed (needs root or CAP_SYS_ADMIN): ${stderr || (error as Error).message}`
  }
}

export function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' })
  } catch {
    // Already unmounted or never mounted.
  }
}

/** Writes zeros to `file` until the file system says no; returns the bytes written. */
function fillUp(file: string): number {
  const fd = openSync(file, 'a')
  let total = 0
  try {
    for (let chunk = 1 << 16; chunk >= 512; chunk >>= 1) {
      const zeros = Buffer.alloc(chunk)
      for (;;) {
        try {
          const written = writeSync(fd, zeros)
          total += written
          if (written < chunk) break
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break
          throw error
        }
      }
    }
  } finally {
    closeSync(fd)
  }
  return total
}

export interface DiskFullCycle {
  acked: number
  ackedAfterFree: number
  refusals: number
  /** Acknowledged edits missing after the kill (must be 0). */
  lost: number
  /** How the recovered label was explained: `k` edits of this cycle applied (acked or acked + 1). */
  recoveredEdits: number | null
}

export interface DiskFullReport {
  cycles: DiskFullCycle[]
  acknowledged: number
  lost: number
  refusals: number
  /** The child's report of each refusal: `full <edit> <code> <message>`. */
  refusalMessages: string[]
  problems: string[]
}

interface ChildWatch {
  acks: number
  refusals: number
  refusalMessages: string[]
  waitFor(predicate: () => boolean, what: string, timeoutMs: number): Promise<void>
  kill(): Promise<void>
}

function startChild(dir: string, seed: number, first: number): ChildWatch {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(seed), String(first)], {
    cwd: path.resolve(__dirname, '../../..'),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const watch: ChildWatch & { stderr: string; exited: boolean; waiters: Array<() => void> } = {
    acks: 0,
    refusals: 0,
    refusalMessages: [],
    stderr: '',
    exited: false,
    waiters: [],
    waitFor(predicate, what, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (predicate()) {
            clearTimeout(timer)
            resolve()
            return true
          }
          if (watch.exited) {
            clearTimeout(timer)
            reject(new Error(`the child exited while waiting for ${what}: ${watch.stderr}`))
            return true
          }
          return false
        }
        const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${watch.stderr}`)), timeoutMs)
        const waiter = (): void => {
          if (!check()) watch.waiters.push(waiter)
        }
        waiter()
      })
    },
    kill() {
      if (watch.exited) return Promise.resolve()
      return new Promise((resolve) => {
        child.once('close', () => resolve())
        child.kill('SIGKILL')
      })
    }
  }
  const notify = (): void => {
    const waiters = watch.waiters.splice(0)
    for (const waiter of waiters) waiter()
  }
  readLines(child.stdout, (lines) => {
    for (const line of lines) {
      if (line.startsWith('ack ')) watch.acks++
      else if (line.startsWith('full ')) {
        watch.refusals++
        watch.refusalMessages.push(line)
      }
    }
    notify()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    watch.stderr += chunk.toString()
  })
  child.on('close', () => {
    watch.exited = true
    notify()
  })
  return watch
}

function labelsEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false
  for (let n = 0; n < a.length; n++) if (a[n] !== b[n]) return false
  return true
}

export interface DiskFullOptions {
  /** A folder on a small file system of its own (see mountSmallTmpfs). */
  mountDir: string
  cycles: number
  seed: number
  onCycle?: (index: number, cycle: DiskFullCycle) => void
}

export async function runDiskFullCycles(options: DiskFullOptions): Promise<DiskFullReport> {
  const dir = path.join(options.mountDir, 'project')
  const filler = path.join(options.mountDir, 'filler.bin')
  const rng = createRng(options.seed)
  const [nx, ny, nz] = DISK_FULL_DIMS
  {
    const header = imageHeaderForGrid({
      dims: DISK_FULL_DIMS,
      datatype: 'uint8',
      rasFromIjk: [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1]
      ],
      description: 'disk-full harness'
    })
    const store = await ProjectStore.create(dir, { name: 'Disk full', labels: [1, 2, 3].map((id) => ({ id, name: `L${id}`, color: `#${id}0${id}0${id}0` })) })
    await store.addCase({ id: DISK_FULL_CASE, image: { header, data: new Uint8Array(nx * ny * nz) } })
    await store.dispose()
  }
  let baseline: ArrayLike<number> = new Uint8Array(nx * ny * nz)
  let applied = 0
  const report: DiskFullReport = { cycles: [], acknowledged: 0, lost: 0, refusals: 0, refusalMessages: [], problems: [] }
  for (let index = 0; index < options.cycles; index++) {
    const child = startChild(dir, options.seed, applied)
    let ackedAfterFree = 0
    try {
      await child.waitFor(() => child.acks >= 1, 'the first ack', 60_000)
      const before = rng.int(3, 30)
      await child.waitFor(() => child.acks >= before, `${before} acks`, 60_000)
      fillUp(filler)
      await child.waitFor(() => child.refusals > 0, 'a DISK_FULL refusal', 30_000)
      await new Promise((resolve) => setTimeout(resolve, rng.int(0, 40)))
      rmSync(filler, { force: true })
      const atFree = child.acks
      const after = rng.int(1, 25)
      await child.waitFor(() => child.acks >= atFree + after, `${after} acks after freeing space`, 60_000)
      ackedAfterFree = child.acks - atFree
    } catch (error) {
      report.problems.push(`cycle ${index}: ${(error as Error).message}`)
    } finally {
      await child.kill()
      rmSync(filler, { force: true })
    }
    const acked = child.acks
    // Reopen (replaying the journal) and find how many of this cycle's edits the label holds.
    const { store } = await ProjectStore.open(dir)
    const recovered = (await store.loadLabel(DISK_FULL_CASE)).data
    await store.dispose()
    const edits = diskFullEditStream(options.seed)
    for (let n = 0; n < applied; n++) edits()
    const working = Uint8Array.from(baseline)
    let recoveredEdits: number | null = labelsEqual(working, recovered) ? 0 : null
    for (let k = 1; k <= acked + 1; k++) {
      applyEdit(working, edits())
      if (labelsEqual(working, recovered)) recoveredEdits = k
    }
    const lost = recoveredEdits === null ? acked : Math.max(0, acked - recoveredEdits)
    const cycle: DiskFullCycle = { acked, ackedAfterFree, refusals: child.refusals, lost, recoveredEdits }
    if (recoveredEdits === null) report.problems.push(`cycle ${index}: the recovered label matches no prefix of the ${acked} acknowledged edits`)
    report.cycles.push(cycle)
    report.acknowledged += acked
    report.lost += lost
    report.refusals += child.refusals
    report.refusalMessages.push(...child.refusalMessages)
    options.onCycle?.(index, cycle)
    baseline = Uint8Array.from(recovered)
    applied += recoveredEdits ?? acked
  }
  return report
}
