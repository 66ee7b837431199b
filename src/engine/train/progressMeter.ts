/**
 * Speed and time left for progress events and for sizing a time-budgeted run.
 *
 * Two speeds, for two uses. The patches/s shown is an exponential moving average (what the machine
 * does now). The ETA and the budget use the mean of the last STEP_WINDOW steps after the first
 * WARMUP_STEPS (kernels compiling, caches cold): a 5-step average swung a default hippocampus run's
 * planned epochs between 36 and 60 in its first minutes (docs/TRAINING.md), and with them the poly
 * schedule's horizon and the ETA; a minute of steps is steady and still follows a lasting change of
 * load. Likewise the epoch overhead (validation and checkpoint) leaves out the first epoch's once
 * others are measured: its first whole-case predictions pay one-off warm-up.
 */

export interface ProgressMeterOptions {
  batchSize: number
  stepsPerEpoch: number
  /** Changes when a time-budgeted run re-sizes its epochs (setTotalSteps). */
  totalSteps: number
  /** Weight of the newest step in the average, 0–1; default 0.2. */
  smoothing?: number
}

/** Steps left out of the steady speed: the first ones pay kernel compilation and cold caches. */
export const WARMUP_STEPS = 2
/** Steps the steady speed averages (about a minute of a default CPU run). */
export const STEP_WINDOW = 100
/**
 * Steps timed before an ETA is given: the warm-up ones and a few steady ones after them. Before
 * that the ETA would come from the first step alone, which pays kernel compilation (issue #15: an
 * "18 min" ETA at step 1 of a run that took 4.5 min) and, in a time-budgeted run, from epochs not
 * yet sized to the budget (that happens at the same step: runTraining's BUDGET_CALIBRATION_STEPS).
 */
export const ETA_MIN_STEPS = WARMUP_STEPS + 4
/** Epoch overheads the steady overhead averages. */
const OVERHEAD_WINDOW = 5

export class ProgressMeter {
  private secondsPerStep: number | null = null
  private stepsRecorded = 0
  private readonly recentSteps: number[] = []
  private readonly overheads: number[] = []
  private readonly validations: number[] = []
  private finalValidations = 0

  private totalSteps: number

  constructor(private readonly options: ProgressMeterOptions) {
    this.totalSteps = options.totalSteps
  }

  setTotalSteps(totalSteps: number): void {
    this.totalSteps = totalSteps
  }

  /**
   * Seconds per step for the ETA and the budget: the mean of the last STEP_WINDOW steps after the
   * warm-up ones (the warm-up ones while nothing else is measured); null before the first step.
   */
  secondsPerStepEstimate(): number | null {
    if (this.recentSteps.length === 0) return this.secondsPerStep
    return this.recentSteps.reduce((sum, s) => sum + s, 0) / this.recentSteps.length
  }

  /** Validation + checkpoint seconds per epoch (the first epoch's left out once later ones are measured), or null before the first epoch ended. */
  epochOverheadEstimate(): number | null {
    return steadyMean(this.overheads)
  }

  /** An epoch's validation alone, seconds, measured as the overhead is; null before the first. */
  validationEstimate(): number | null {
    return steadyMean(this.validations)
  }

  /**
   * The work after the last epoch in validations' worth: the post-processing choice predicts the
   * validation cases once per tile-grid pass (runTraining sets it from the cases' shapes).
   */
  setFinalWork(validations: number): void {
    this.finalValidations = validations
  }

  /** Seconds the work after the last epoch will take; 0 until a validation is timed. */
  finalSecondsEstimate(): number {
    return this.finalValidations * (this.validationEstimate() ?? 0)
  }

  recordStep(seconds: number): void {
    const alpha = this.options.smoothing ?? 0.2
    this.secondsPerStep = this.secondsPerStep === null ? seconds : alpha * seconds + (1 - alpha) * this.secondsPerStep
    this.stepsRecorded++
    if (this.stepsRecorded <= WARMUP_STEPS) return
    this.recentSteps.push(seconds)
    if (this.recentSteps.length > STEP_WINDOW) this.recentSteps.shift()
  }

  /** Time spent after the steps of an epoch (validation, checkpoint). */
  recordEpochOverhead(seconds: number): void {
    pushSteady(this.overheads, seconds)
  }

  /** The validation part of an epoch's overhead. */
  recordValidation(seconds: number): void {
    pushSteady(this.validations, seconds)
  }

  patchesPerSecond(): number {
    return this.secondsPerStep ? this.options.batchSize / this.secondsPerStep : 0
  }

  /** Whether enough steps are timed for an ETA (ETA_MIN_STEPS); the panel shows "estimating…" until then. */
  hasEta(): boolean {
    return this.stepsRecorded >= ETA_MIN_STEPS
  }

  /**
   * Seconds until the run ends after `stepsDone` steps and `epochEndsDone` finished epoch ends
   * (validation and checkpoint written); null until ETA_MIN_STEPS steps are timed. The epoch ends
   * are counted, not derived from the steps: after an epoch's last step its end is still to come.
   */
  etaSeconds(stepsDone: number, epochEndsDone: number): number | null {
    const secondsPerStep = this.secondsPerStepEstimate()
    if (secondsPerStep === null || !this.hasEta()) return null
    const remainingSteps = Math.max(0, this.totalSteps - stepsDone)
    const remainingEpochEnds = Math.max(0, Math.ceil(this.totalSteps / this.options.stepsPerEpoch) - epochEndsDone)
    return remainingSteps * secondsPerStep + remainingEpochEnds * (this.epochOverheadEstimate() ?? 0) + this.finalSecondsEstimate()
  }

  /**
   * The ETA once the epochs are over (completed or stopped early: no step or epoch end is left
   * whatever the plan said): what is left of the work after them, counting down, never below 0.
   */
  finalEtaSeconds(secondsSpent: number): number | null {
    if (!this.hasEta()) return null
    return Math.max(0, this.finalSecondsEstimate() - secondsSpent)
  }
}

/** The first value is kept apart from a window of the latest (its predictions pay one-off warm-up). */
function pushSteady(values: number[], seconds: number): void {
  values.push(seconds)
  if (values.length > OVERHEAD_WINDOW + 1) values.splice(1, 1)
}

/** The mean of the window, the first value left out once others are measured; null when empty. */
function steadyMean(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const steady = values.length > 1 ? values.slice(1).slice(-OVERHEAD_WINDOW) : values
  return steady.reduce((sum, s) => sum + s, 0) / steady.length
}
