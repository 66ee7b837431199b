/**
 * Speed and time left for progress events: seconds per step as an exponential moving average (so a
 * slow first step, while kernels warm up, fades out), plus the measured per-epoch overhead
 * (validation and checkpoint) for the epochs still to come.
 */

export interface ProgressMeterOptions {
  batchSize: number
  stepsPerEpoch: number
  /** Changes when a time-budgeted run re-sizes its epochs (setTotalSteps). */
  totalSteps: number
  /** Weight of the newest step in the average, 0–1; default 0.2. */
  smoothing?: number
}

export class ProgressMeter {
  private secondsPerStep: number | null = null
  private epochOverheadSeconds: number | null = null

  private totalSteps: number

  constructor(private readonly options: ProgressMeterOptions) {
    this.totalSteps = options.totalSteps
  }

  setTotalSteps(totalSteps: number): void {
    this.totalSteps = totalSteps
  }

  /** The smoothed seconds per step, or null before the first step. */
  secondsPerStepEstimate(): number | null {
    return this.secondsPerStep
  }

  /** The smoothed validation + checkpoint seconds per epoch, or null before the first epoch ended. */
  epochOverheadEstimate(): number | null {
    return this.epochOverheadSeconds
  }

  recordStep(seconds: number): void {
    const alpha = this.options.smoothing ?? 0.2
    this.secondsPerStep = this.secondsPerStep === null ? seconds : alpha * seconds + (1 - alpha) * this.secondsPerStep
  }

  /** Time spent after the steps of an epoch (validation, checkpoint). */
  recordEpochOverhead(seconds: number): void {
    this.epochOverheadSeconds = this.epochOverheadSeconds === null ? seconds : 0.5 * seconds + 0.5 * this.epochOverheadSeconds
  }

  patchesPerSecond(): number {
    return this.secondsPerStep ? this.options.batchSize / this.secondsPerStep : 0
  }

  /** Seconds until the run ends after `stepsDone` steps; null before the first step is timed. */
  etaSeconds(stepsDone: number): number | null {
    if (this.secondsPerStep === null) return null
    const remainingSteps = Math.max(0, this.totalSteps - stepsDone)
    // Epoch ends (validation + checkpoint) still to come, the current epoch's included.
    const remainingEpochEnds = Math.ceil(remainingSteps / this.options.stepsPerEpoch)
    return remainingSteps * this.secondsPerStep + remainingEpochEnds * (this.epochOverheadSeconds ?? 0)
  }
}
