/**
 * `voxloop split <project>` lists the project's fixed train / validation / test split (counts and
 * cases); `voxloop split <project> <caseId…> --set train|validation|test` moves cases, as the case
 * table's split column does (ProjectStore.setSplit: cases.json, one audit entry per case).
 *
 * The split is what makes figures comparable (caseSplits.ts), so moving a case says what stops
 * comparing (splitChangeNotes): a changed test split, the test figures measured before it; a changed
 * validation split, the validation figures of versions trained before it.
 */
import path from 'node:path'
import { z } from 'zod'
import { VoxloopError } from '../../../shared/errors'
import { CASE_SPLITS, CaseIdSchema, CaseSplitSchema, type CaseSplit, type CaseSummary } from '../../../shared/project'
import { splitChangeNotes } from '../../../shared/splitChanges'
import { ProjectStore } from '../../services/project/ProjectStore'

/** What the command line gives, checked before the project is opened. */
export const SplitCommandInputSchema = z
  .object({
    caseIds: z.array(CaseIdSchema).max(100_000),
    set: CaseSplitSchema.optional()
  })
  .strict()
  .superRefine((input, ctx) => {
    if (input.caseIds.length > 0 && input.set === undefined) {
      ctx.addIssue({ code: 'custom', message: `moving cases needs --set ${CASE_SPLITS.join('|')} (without case ids the command lists the splits)` })
    }
    if (input.caseIds.length === 0 && input.set !== undefined) ctx.addIssue({ code: 'custom', message: '--set needs the ids of the cases to move' })
    const seen = new Set<string>()
    const repeated = input.caseIds.filter((id) => (seen.has(id) ? true : (seen.add(id), false)))
    if (repeated.length > 0) ctx.addIssue({ code: 'custom', message: `case(s) named more than once: ${[...new Set(repeated)].slice(0, 5).join(', ')}` })
  })
export type SplitCommandInput = z.infer<typeof SplitCommandInputSchema>

/** `--set` and the ids as typed → the checked input; INVALID_ARGUMENT naming every problem. */
export function parseSplitCommandInput(caseIds: readonly string[], set: string | undefined): SplitCommandInput {
  const parsed = SplitCommandInputSchema.safeParse({ caseIds, ...(set === undefined ? {} : { set }) })
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      if (issue.path[0] === 'set') return `--set must be one of ${CASE_SPLITS.join(', ')}, got "${set ?? ''}"`
      if (issue.path[0] === 'caseIds' && typeof issue.path[1] === 'number') return `not a case id: "${caseIds[issue.path[1]] ?? ''}"`
      return issue.message
    })
    throw new VoxloopError('INVALID_ARGUMENT', `voxloop split: ${[...new Set(problems)].join('; ')}`)
  }
  return parsed.data
}

export interface SplitMove {
  caseId: string
  from: CaseSplit | null
  to: CaseSplit
}

export interface SplitGroup {
  /** Every case of the split, in id order. */
  caseIds: string[]
  /** Those that train, validate or test today: marked done, with a saved label. */
  curated: string[]
}

export interface SplitReport {
  project: string
  /** The cases whose split changed (a case already in the split asked for is not listed). */
  moved: SplitMove[]
  splits: Record<CaseSplit | 'none', SplitGroup>
  /** What the moves make incomparable, one sentence each (empty when nothing moved). */
  notes: string[]
}

const isCurated = (c: CaseSummary): boolean => c.status === 'done' && c.hasLabel

function groups(cases: readonly CaseSummary[]): SplitReport['splits'] {
  const out: SplitReport['splits'] = {
    train: { caseIds: [], curated: [] },
    validation: { caseIds: [], curated: [] },
    test: { caseIds: [], curated: [] },
    none: { caseIds: [], curated: [] }
  }
  // Plain code-unit order, as the split rule uses: the same listing on every machine.
  for (const c of [...cases].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const group = out[c.split ?? 'none']
    group.caseIds.push(c.id)
    if (isCurated(c)) group.curated.push(c.id)
  }
  return out
}

/** Lists the splits, after moving `input.caseIds` to `input.set` when given. Unknown ids move nothing. */
export async function splitCommand(projectDir: string, input: SplitCommandInput, options: { json: boolean }): Promise<SplitReport> {
  const folder = path.resolve(projectDir)
  const { store } = await ProjectStore.open(folder)
  try {
    const moved: SplitMove[] = []
    if (input.set !== undefined) {
      const known = new Set(store.listCases().map((c) => c.id))
      const unknown = input.caseIds.filter((id) => !known.has(id))
      if (unknown.length > 0) {
        throw new VoxloopError('NOT_FOUND', `voxloop split: ${folder} has no case ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}; nothing was moved`)
      }
      for (const caseId of input.caseIds) {
        const from = store.getCase(caseId).split
        if (from === input.set) continue
        try {
          await store.setSplit(caseId, input.set)
        } catch (error) {
          const done = moved.length > 0 ? `; moved before it: ${moved.map((m) => m.caseId).join(', ')}` : '; nothing was moved'
          throw new VoxloopError(error instanceof VoxloopError ? error.code : 'INTERNAL', `voxloop split: moving ${caseId} failed (${(error as Error).message})${done}`, { cause: error })
        }
        moved.push({ caseId, from, to: input.set })
      }
    }
    const report: SplitReport = { project: folder, moved, splits: groups(store.listCases()), notes: splitChangeNotes(moved) }
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatSplitReport(report, input))
    return report
  } finally {
    await store.dispose()
  }
}

const LABELS: Record<CaseSplit | 'none', string> = { train: 'train', validation: 'validation', test: 'test', none: 'no split yet' }

export function formatSplitReport(report: SplitReport, input: Pick<SplitCommandInput, 'caseIds' | 'set'>): string {
  const lines: string[] = []
  if (input.set !== undefined) {
    const stayed = input.caseIds.filter((id) => !report.moved.some((m) => m.caseId === id))
    if (report.moved.length > 0) {
      lines.push(`Moved ${report.moved.length} case(s) to ${input.set}: ${report.moved.map((m) => `${m.caseId} (was ${m.from ?? 'without a split'})`).join(', ')}`)
    }
    if (stayed.length > 0) lines.push(`Already in ${input.set}: ${stayed.join(', ')}`)
    lines.push(...report.notes, '')
  }
  const total = Object.values(report.splits).reduce((sum, g) => sum + g.caseIds.length, 0)
  lines.push(`Splits of ${report.project} (${total} case(s); only curated ones, done with a saved label, train, validate and test):`)
  for (const key of ['train', 'validation', 'test', 'none'] as const) {
    const group = report.splits[key]
    const curated = new Set(group.curated)
    const others = group.caseIds.filter((id) => !curated.has(id))
    const curatedList = group.curated.length > 0 ? `: ${group.curated.join(', ')}` : ''
    const othersList = others.length > 0 ? `; not curated: ${others.join(', ')}` : ''
    lines.push(`  ${LABELS[key].padEnd(13)}${String(group.caseIds.length).padStart(4)} case(s), ${group.curated.length} curated${curatedList}${othersList}`)
  }
  return `${lines.join('\n')}\n`
}
