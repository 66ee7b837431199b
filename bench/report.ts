/**
 * Benchmarks report figures as ratios against a baseline measured in the same run, so that a
 * slower or busier machine moves both sides together. Each bench exports `run()` returning a report.
 */
export interface BenchRow {
  /** What was measured, e.g. "readNifti 256³ int16 .nii.gz". */
  name: string
  value: number
  unit: string
  /** Name of the row this one is compared to (must be in the same report). */
  baselineOf?: string
  /** value / baseline value; filled in by the runner. */
  ratio?: number
  note?: string
}

export interface BenchTarget {
  description: string
  met: boolean | null
}

export interface BenchReport {
  name: string
  rows: BenchRow[]
  targets?: BenchTarget[]
  notes?: string[]
  environment?: Record<string, string | number>
}

export interface Bench {
  name: string
  description: string
  run(): Promise<BenchReport>
}

export function withRatios(report: BenchReport): BenchReport {
  const byName = new Map(report.rows.map((row) => [row.name, row]))
  return {
    ...report,
    rows: report.rows.map((row) => {
      if (!row.baselineOf) return row
      const base = byName.get(row.baselineOf)
      if (!base || base.value === 0) return row
      return { ...row, ratio: row.value / base.value }
    })
  }
}

export function formatReport(report: BenchReport): string {
  const lines = [`## ${report.name}`]
  const width = Math.max(...report.rows.map((r) => r.name.length), 10)
  for (const row of report.rows) {
    const value = `${formatNumber(row.value)} ${row.unit}`.padStart(16)
    const ratio = row.ratio === undefined ? '' : `  ${row.ratio.toFixed(2)}× ${row.baselineOf}`
    lines.push(`${row.name.padEnd(width)}  ${value}${ratio}${row.note ? `  (${row.note})` : ''}`)
  }
  for (const target of report.targets ?? []) {
    const mark = target.met === null ? 'n/a ' : target.met ? 'MET ' : 'MISS'
    lines.push(`[${mark}] ${target.description}`)
  }
  for (const note of report.notes ?? []) lines.push(`note: ${note}`)
  return lines.join('\n')
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (Math.abs(value) >= 100) return value.toFixed(0)
  if (Math.abs(value) >= 1) return value.toFixed(2)
  return value.toPrecision(3)
}

/** Median of a few runs: robust to one slow run from a background hiccup. */
export async function medianMs(runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await fn()
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)] ?? Number.NaN
}
