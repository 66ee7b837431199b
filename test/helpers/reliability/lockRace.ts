/**
 * Many processes open one project at once while a stale lock (left by a crash) is in place:
 * exactly one may win. Workers are long-lived processes (lockWorker.ts); each round writes a stale
 * lock of a varying kind, tells every worker to go at once, and counts the winners. Used by the
 * unit test and by `npm run bench -- reliability`.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import path from 'node:path'
import { processStartTicks } from '../../../src/main/services/project/projectLock'
import { readLines } from './childIo'

const WORKER = path.join(__dirname, 'lockWorker.ts')

export interface LockRaceReport {
  rounds: number
  workers: number
  /** Rounds where more than one worker held the lock at once (must be 0). */
  doubleOwners: number
  /** Rounds where nobody got the lock (a stale lock that was never taken over). */
  noOwner: number
  staleKinds: Record<string, number>
  refusals: string[]
}

interface Worker {
  process: ChildProcessWithoutNullStreams
  lines: string[]
  waiters: Array<() => void>
}

function startWorker(): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], { cwd: path.resolve(__dirname, '../../..'), stdio: ['pipe', 'pipe', 'pipe'] })
  const worker: Worker = { process: child, lines: [], waiters: [] }
  readLines(child.stdout, (parts) => {
    worker.lines.push(...parts)
    for (const waiter of worker.waiters.splice(0)) waiter()
  })
  return worker
}

function nextLine(worker: Worker, prefix: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lock worker silent for ${timeoutMs} ms`)), timeoutMs)
    const look = (): void => {
      const index = worker.lines.findIndex((line) => prefix.test(line))
      if (index >= 0) {
        clearTimeout(timer)
        resolve(worker.lines.splice(index, 1)[0] ?? '')
      } else worker.waiters.push(look)
    }
    look()
  })
}

/** The pid of a process that has just exited (so, on this host, not alive). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  return Number(child.stdout)
}

const STALE_KINDS = ['dead-pid', 'reused-pid', 'old-format', 'torn-old-format'] as const

function writeStaleLock(file: string, kind: (typeof STALE_KINDS)[number]): void {
  const nonce = randomBytes(8).toString('hex')
  const since = new Date(Date.now() - 60_000).toISOString()
  switch (kind) {
    case 'dead-pid':
      writeFileSync(file, JSON.stringify({ pid: deadPid(), host: hostname(), startTicks: 1, bootId: null, nonce, since }))
      return
    case 'reused-pid':
      // A live pid (ours) whose start time does not match: the pid was reused after a crash.
      writeFileSync(file, JSON.stringify({ pid: process.pid, host: hostname(), startTicks: (processStartTicks(process.pid) ?? 0) + 1, bootId: null, nonce, since }))
      return
    case 'old-format':
      writeFileSync(file, JSON.stringify({ pid: deadPid(), host: hostname(), since }))
      return
    case 'torn-old-format':
      // Earlier versions created the lock, then wrote it: a crash in between left it empty.
      writeFileSync(file, '')
      return
  }
}

export async function runLockRace(options: { dir: string; rounds: number; workers: number }): Promise<LockRaceReport> {
  const file = path.join(options.dir, '.voxloop.lock')
  const workers = Array.from({ length: options.workers }, startWorker)
  const report: LockRaceReport = { rounds: options.rounds, workers: options.workers, doubleOwners: 0, noOwner: 0, staleKinds: {}, refusals: [] }
  const kinds = process.platform === 'linux' ? STALE_KINDS : STALE_KINDS.filter((kind) => kind !== 'reused-pid')
  try {
    for (let round = 0; round < options.rounds; round++) {
      rmSync(file, { force: true })
      const kind = kinds[round % kinds.length] ?? 'dead-pid'
      report.staleKinds[kind] = (report.staleKinds[kind] ?? 0) + 1
      writeStaleLock(file, kind)
      for (const worker of workers) worker.process.stdin.write(`go ${round} ${file}\n`)
      const answers = await Promise.all(workers.map((worker) => nextLine(worker, new RegExp(`^(got|no) ${round}\\b`), 30_000)))
      const winners = answers.filter((line) => line.startsWith('got ')).length
      if (winners > 1) report.doubleOwners++
      if (winners === 0) report.noOwner++
      for (const line of answers) if (line.startsWith('no ') && !/already open/.test(line)) report.refusals.push(line)
      for (const worker of workers) worker.process.stdin.write(`release ${round}\n`)
      await Promise.all(workers.map((worker) => nextLine(worker, new RegExp(`^released ${round}$`), 30_000)))
    }
  } finally {
    for (const worker of workers) {
      worker.process.stdin.write('exit\n')
      worker.process.kill()
    }
    rmSync(file, { force: true })
  }
  return report
}
