export interface ReviewRecord {
  caseId: string
  /** The model version whose prediction the reviewer corrected. */
  modelVersion: string
  voxelsChanged: number
  seconds: number
  /** Dice of the proposal against the accepted label, per label id. */
  dice: Record<string, number>
}

export interface ModelVersionInfo {
  version: string
  /** How many curated cases the version was trained on. */
  trainingCases: number
}

export interface EfficiencyPoint {
  modelVersion: string
  trainingCases: number
  reviewedCases: number
  meanVoxelsChanged: number
  meanSeconds: number
  /** Mean over reviewed cases of the mean foreground Dice of the proposal. */
  meanDice: number
}

/**
 * The label-efficiency curve: for each model version (ordered by how many curated cases it was
 * trained on), how much correction its proposals needed and how good they were. The loop works
 * when effort falls and Dice rises along the curve.
 */
export function efficiencyCurve(versions: readonly ModelVersionInfo[], reviews: readonly ReviewRecord[]): EfficiencyPoint[] {
  return [...versions]
    .sort((a, b) => a.trainingCases - b.trainingCases || a.version.localeCompare(b.version))
    .map((version) => {
      const mine = reviews.filter((r) => r.modelVersion === version.version)
      const mean = (values: number[]): number => (values.length ? values.reduce((s, v) => s + v, 0) / values.length : Number.NaN)
      return {
        modelVersion: version.version,
        trainingCases: version.trainingCases,
        reviewedCases: mine.length,
        meanVoxelsChanged: mean(mine.map((r) => r.voxelsChanged)),
        meanSeconds: mean(mine.map((r) => r.seconds)),
        meanDice: mean(mine.map((r) => mean(Object.values(r.dice))))
      }
    })
}
