/**
 * `npm run bench -- reliability`: the attacks of issue #12, at the counts the issue asks for, run
 * against the same code the app runs (ProjectStore, the journal, the lock, the NIfTI import, the
 * serve server). Each section reports what it did and what was lost or broke; targets are zeros.
 *
 *   - SIGKILL during edits, saves and open (≥ 200 kills): acknowledged edits lost.
 *   - Disk full (≥ 20 fill/free cycles on a small tmpfs, a kill after space was freed).
 *   - Lock (≥ 200 rounds of 4 processes opening one project with a stale lock): double owners.
 *   - Fuzz (≥ 2,000 mutated NIfTI files through import): crashes, hangs, stored files nibabel cannot read.
 *   - WebSocket/HTTP: malformed frames and oversized bodies, each answered or closed, others still served.
 *
 * Sizes can be lowered for a quick look: VOXLOOP_BENCH_KILLS, _DISKFULL_CYCLES, _LOCK_ROUNDS, _FUZZ_FILES,
 * _NETWORK_REPEATS; VOXLOOP_BENCH_FUZZ_SEED picks other fuzzed files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { mountSmallTmpfs, runDiskFullCycles, unmount } from '../../test/helpers/reliability/diskFullHarness'
import { fuzzSourcesMissing, runImportFuzz } from '../../test/helpers/reliability/fuzzHarness'
import { createKillProject, runKillCycles } from '../../test/helpers/reliability/killHarness'
import { runLockRace } from '../../test/helpers/reliability/lockRace'
import {
  isAlive,
  MALFORMED_FRAMES,
  rawExchange,
  sendOverSocket,
  serverStillAnswers,
  startServeProcess,
  stopServeProcess
} from '../../test/helpers/reliability/hostileTraffic'
import type { Bench, BenchReport, BenchRow, BenchTarget } from '../report'

function count(name: string, fallback: number): number {
  const value = Number(process.env[name])
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback
}

const KILLS = count('VOXLOOP_BENCH_KILLS', 200)
const DISK_FULL_CYCLES = count('VOXLOOP_BENCH_DISKFULL_CYCLES', 20)
const LOCK_ROUNDS = count('VOXLOOP_BENCH_LOCK_ROUNDS', 200)
const FUZZ_FILES = count('VOXLOOP_BENCH_FUZZ_FILES', 2000)

function seconds(since: number): number {
  return (performance.now() - since) / 1000
}

async function killSection(rows: BenchRow[], targets: BenchTarget[], notes: string[]): Promise<void> {
  const base = mkdtempSync(path.join(tmpdir(), 'voxloop-bench-kill-'))
  try {
    const dir = path.join(base, 'project')
    await createKillProject(dir)
    const started = performance.now()
    const report = await runKillCycles({ dir, runs: KILLS, minKills: KILLS, seed: 0x5eed_2026 })
    rows.push(
      { name: 'SIGKILL: kills', value: report.kills, unit: 'kills', note: `${report.killedWhileOpening} while opening and replaying; ${seconds(started).toFixed(0)} s` },
      { name: 'SIGKILL: acknowledged edits', value: report.acknowledged, unit: 'edits' },
      { name: 'SIGKILL: recoveries no acknowledged prefix explains', value: report.unexplained.length, unit: 'cases' },
      { name: 'SIGKILL: torn label files', value: report.incomplete.length, unit: 'files' }
    )
    targets.push({
      description: `SIGKILL during edits/saves/open: ≥ ${KILLS} kills, 0 acknowledged edits lost, 0 torn label files`,
      met: report.kills >= Math.min(KILLS, 200) && report.unexplained.length === 0 && report.incomplete.length === 0
    })
    notes.push(...report.unexplained.map((line) => `SIGKILL: unexplained ${line}`), ...report.incomplete.map((line) => `SIGKILL: ${line}`))
  } finally {
    rmSync(base, { recursive: true, force: true })
  }
}

async function diskFullSection(rows: BenchRow[], targets: BenchTarget[], notes: string[]): Promise<void> {
  const mount = mkdtempSync(path.join(tmpdir(), 'voxloop-bench-diskfull-'))
  const failure = mountSmallTmpfs(mount, 4 * 1024 * 1024)
  if (failure) {
    notes.push(`Disk full: not run: ${failure}`)
    targets.push({ description: `Disk full: 0 acknowledged edits lost over ≥ ${DISK_FULL_CYCLES} fill/free cycles`, met: null })
    rmSync(mount, { recursive: true, force: true })
    return
  }
  try {
    const started = performance.now()
    const report = await runDiskFullCycles({ mountDir: mount, cycles: DISK_FULL_CYCLES, seed: 0xd15c_2026 })
    const hitFull = report.cycles.filter((cycle) => cycle.refusals > 0 && cycle.ackedAfterFree > 0).length
    rows.push(
      { name: 'Disk full: fill/free/kill cycles', value: report.cycles.length, unit: 'cycles', note: `${hitFull} refused edits while full and saved more after freeing; ${seconds(started).toFixed(0)} s` },
      { name: 'Disk full: acknowledged edits', value: report.acknowledged, unit: 'edits' },
      { name: 'Disk full: refusals (DISK_FULL, strokes kept)', value: report.refusals, unit: 'refusals' },
      { name: 'Disk full: acknowledged edits lost', value: report.lost, unit: 'edits' }
    )
    targets.push({
      description: `Disk full: 0 acknowledged edits lost over ≥ ${DISK_FULL_CYCLES} fill/free cycles (4 MiB tmpfs, SIGKILL after freeing)`,
      met: report.lost === 0 && report.problems.length === 0 && hitFull === report.cycles.length && report.cycles.length >= DISK_FULL_CYCLES
    })
    notes.push(...report.problems.map((problem) => `Disk full: ${problem}`))
  } finally {
    unmount(mount)
    rmSync(mount, { recursive: true, force: true })
  }
}

async function lockSection(rows: BenchRow[], targets: BenchTarget[], notes: string[]): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'voxloop-bench-lock-'))
  try {
    const started = performance.now()
    const report = await runLockRace({ dir, rounds: LOCK_ROUNDS, workers: 4 })
    rows.push(
      { name: 'Lock: concurrent opens with a stale lock', value: report.rounds * report.workers, unit: 'opens', note: `${report.rounds} rounds × ${report.workers} processes; stale kinds ${JSON.stringify(report.staleKinds)}; ${seconds(started).toFixed(0)} s` },
      { name: 'Lock: rounds with two owners', value: report.doubleOwners, unit: 'rounds' },
      { name: 'Lock: rounds with no owner', value: report.noOwner, unit: 'rounds' }
    )
    targets.push({
      description: `Lock: 0 double owners over ≥ ${LOCK_ROUNDS} rounds of concurrent opens with a stale lock`,
      met: report.doubleOwners === 0 && report.noOwner === 0 && report.refusals.length === 0
    })
    notes.push(...report.refusals.slice(0, 5).map((line) => `Lock: unexpected refusal ${line}`))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function fuzzSection(rows: BenchRow[], targets: BenchTarget[], notes: string[]): Promise<void> {
  const description = `Fuzz: ≥ ${FUZZ_FILES} mutated NIfTI files through import: 0 crashes, 0 hangs, 0 stored files nibabel cannot read, 0 stored files with changed voxels`
  if (fuzzSourcesMissing) {
    notes.push(`Fuzz: not run: ${fuzzSourcesMissing}`)
    targets.push({ description, met: null })
    return
  }
  const base = mkdtempSync(path.join(tmpdir(), 'voxloop-bench-fuzz-'))
  try {
    const report = await runImportFuzz({ cases: FUZZ_FILES, seed: count('VOXLOOP_BENCH_FUZZ_SEED', 0xf022_2026), workDir: base })
    const crashes = report.crashes.length + report.folderFailures.length
    rows.push(
      {
        name: 'Fuzz: mutated NIfTI files imported',
        value: report.tried,
        unit: 'files',
        note: `${report.imported} imported (${report.repaired} with the header repaired), ${report.refused} refused; ${report.children} processes; ${report.seconds.toFixed(0)} s`
      },
      { name: 'Fuzz: crashes', value: crashes, unit: 'files', note: `import threw, an uncoded error, or the process died; ${report.folderFailures.length} of them whole-folder imports` },
      { name: 'Fuzz: hangs (one file > 20 s)', value: report.hangs.length, unit: 'files', note: report.slowest ? `slowest file ${report.slowest.ms} ms` : '' },
      { name: 'Fuzz: stored files whose voxels differ from the source', value: report.voxelMismatches.length, unit: 'files', note: `${report.voxelsChecked} compared` }
    )
    if (report.unreadable) rows.push({ name: 'Fuzz: stored files nibabel cannot read', value: report.unreadable.length, unit: 'files', note: `${report.imported} loaded in full` })
    else notes.push(`Fuzz: stored files not checked with nibabel: ${report.nibabelUnavailable ?? ''}`)
    const zeros = crashes === 0 && report.hangs.length === 0 && report.voxelMismatches.length === 0
    targets.push({
      description,
      met: report.unreadable === null ? (zeros ? null : false) : zeros && report.unreadable.length === 0 && report.tried >= Math.min(FUZZ_FILES, 2000)
    })
    notes.push(
      ...Object.entries(report.refusals)
        .slice(0, 8)
        .map(([reason, times]) => `Fuzz: refused ${times}× ${reason}`),
      ...[...report.folderFailures, ...report.crashes, ...report.hangs, ...(report.unreadable ?? []), ...report.voxelMismatches]
        .slice(0, 10)
        .map((problem) => `Fuzz: ${problem.file}: ${problem.detail}`)
    )
  } finally {
    rmSync(base, { recursive: true, force: true })
  }
}

const NETWORK_REPEATS = count('VOXLOOP_BENCH_NETWORK_REPEATS', 20)

/** Oversized or endless bodies: each must get an answer (413) and a closed connection. */
function oversizedBodies(port: number, token: string): Array<[string, () => ReturnType<typeof rawExchange>]> {
  const head = (type: string, extra: string): string =>
    `POST /api/app:ping HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nContent-Type: ${type}\r\n${extra}\r\n`
  const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 0x20), Buffer.from('\r\n')])
  const objects = Buffer.from('{},'.repeat(0x5000))
  const objectChunk = Buffer.concat([Buffer.from(`${objects.length.toString(16)}\r\n`), objects, Buffer.from('\r\n')])
  return [
    ['JSON body declaring 57 MiB', () => rawExchange(port, head('application/json', `Content-Length: ${57 * 2 ** 20}\r\n`), () => false)],
    ['wire body declaring 2 GiB', () => rawExchange(port, head('application/x-voxloop-wire', `Content-Length: ${2 * 2 ** 30}\r\n`), () => false)],
    ['chunked JSON of 64 MiB of spaces', () => rawExchange(port, head('application/json', 'Transfer-Encoding: chunked\r\n'), (sent) => sent < 64 * 2 ** 20 && chunk, Buffer.from('0\r\n\r\n'))],
    ['chunked `[{},{},…]` of 64 MiB', () => rawExchange(port, head('application/json', 'Transfer-Encoding: chunked\r\n'), (sent) => sent < 64 * 2 ** 20 && objectChunk, Buffer.from('0\r\n\r\n'))]
  ]
}

async function networkSection(rows: BenchRow[], targets: BenchTarget[], notes: string[]): Promise<void> {
  const base = mkdtempSync(path.join(tmpdir(), 'voxloop-bench-serve-'))
  const rendererDir = path.join(base, 'renderer')
  mkdirSync(rendererDir)
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Voxloop</title>')
  const served = await startServeProcess(path.join(base, 'home'), rendererDir)
  let frames = 0
  let bodies = 0
  const failures: string[] = []
  const started = performance.now()
  try {
    // One server for everything: every attack must leave it serving the next one and other clients.
    for (let round = 0; round < NETWORK_REPEATS; round++) {
      for (const [name, payload] of MALFORMED_FRAMES) {
        frames++
        await sendOverSocket(served.port, served.token, payload).catch((error: unknown) => failures.push(`${name}: ${(error as Error).message}`))
        if (!isAlive(served)) throw new Error(`the server died after ${name}: ${served.stderr()}`)
        await serverStillAnswers(served.port, served.token).catch((error: unknown) => failures.push(`after ${name}: ${(error as Error).message}`))
      }
      for (const [name, exchange] of oversizedBodies(served.port, served.token)) {
        bodies++
        const result = await exchange().catch((error: unknown) => ({ response: `no answer: ${(error as Error).message}`, bytesSentBeforeAnswer: -1 }))
        if (!/^HTTP\/1\.1 413 /.test(result.response)) failures.push(`${name}: ${result.response.split('\r\n')[0] ?? ''}`)
        await serverStillAnswers(served.port, served.token).catch((error: unknown) => failures.push(`after ${name}: ${(error as Error).message}`))
      }
    }
  } catch (error) {
    failures.push((error as Error).message)
  } finally {
    await stopServeProcess(served)
    rmSync(base, { recursive: true, force: true })
  }
  rows.push(
    { name: 'Serve: malformed WebSocket frames sent', value: frames, unit: 'frames', note: `${MALFORMED_FRAMES.length} kinds × ${NETWORK_REPEATS}` },
    { name: 'Serve: oversized bodies sent', value: bodies, unit: 'requests', note: `${seconds(started).toFixed(0)} s in all` },
    { name: 'Serve: unanswered attacks or lost service', value: failures.length, unit: 'failures' }
  )
  targets.push({ description: 'Serve: every malformed frame closed, every oversized body answered 413, the server still serving other clients', met: failures.length === 0 })
  notes.push(...failures.slice(0, 10).map((line) => `Serve: ${line}`))
}

export const bench: Bench = {
  name: 'reliability',
  description: 'SIGKILL, disk full, lock races, fuzzed NIfTI and hostile serve-mode traffic: what is lost or breaks (targets: zero)',
  async run(): Promise<BenchReport> {
    const rows: BenchRow[] = []
    const targets: BenchTarget[] = []
    const notes: string[] = [`load average at start: ${loadavg().map((value) => value.toFixed(2)).join(' ')}`]
    await killSection(rows, targets, notes)
    await diskFullSection(rows, targets, notes)
    await lockSection(rows, targets, notes)
    await fuzzSection(rows, targets, notes)
    await networkSection(rows, targets, notes)
    notes.push(`load average at end: ${loadavg().map((value) => value.toFixed(2)).join(' ')}`)
    return { name: 'reliability', rows, targets, notes }
  }
}
