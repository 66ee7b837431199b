/** The most samples kept of each series: enough for a benchmark run, bounded for a long session. */
const KEEP = 2000

/**
 * The viewer's timing figures: input-to-pixel latency of tool input, the work of each frame and the
 * time to the first frame of a case. Mirrored onto the viewer element's data attributes, which
 * benchmarks and end-to-end tests read (no global variable).
 */
export class FrameStats {
  /** Time of the oldest tool input not yet on screen. */
  private pendingInputAt: number | null = null
  private readonly inputLatencies: number[] = []
  private readonly frameWorkMs: number[] = []
  private loadStartedAt = 0
  private firstFrameMs: number | null = null

  constructor(private readonly root: HTMLElement) {}

  /** A case starts loading: the first-frame clock restarts. */
  loadStarted(): void {
    this.loadStartedAt = performance.now()
    this.firstFrameMs = null
  }

  /** Input that will change the picture arrived at `time` (an event's timeStamp or now). */
  inputAt(time: number = performance.now()): void {
    this.pendingInputAt ??= time
  }

  /** The input turned out not to change anything (a tool declined the pointer). */
  cancelInput(): void {
    this.pendingInputAt = null
  }

  /**
   * The slice views of a frame were drawn. Returns true when it was the case's first frame
   * (the viewer then builds its 3D textures).
   */
  frameDrawn(hasViews: boolean): boolean {
    if (this.pendingInputAt !== null) {
      const latency = performance.now() - this.pendingInputAt
      this.pendingInputAt = null
      push(this.inputLatencies, latency)
      this.root.dataset.inputLatencyMs = latency.toFixed(2)
    }
    let first = false
    if (this.firstFrameMs === null && hasViews) {
      this.firstFrameMs = performance.now() - this.loadStartedAt
      this.root.dataset.firstFrameMs = this.firstFrameMs.toFixed(1)
      this.root.dataset.firstFrameAt = performance.now().toFixed(1)
      first = true
    }
    return first
  }

  /** The frame's work is done (called after the 3D view drew, when it did). */
  frameFinished(frameStart: number): void {
    push(this.frameWorkMs, performance.now() - frameStart)
    this.root.dataset.frames = String(Number(this.root.dataset.frames ?? '0') + 1)
  }

  getInputLatencies(): readonly number[] {
    return this.inputLatencies
  }

  getFrameWorkMs(): readonly number[] {
    return this.frameWorkMs
  }

  getFirstFrameMs(): number | null {
    return this.firstFrameMs
  }

  clear(): void {
    this.inputLatencies.length = 0
    this.frameWorkMs.length = 0
  }
}

function push(series: number[], value: number): void {
  series.push(value)
  if (series.length > KEEP) series.shift()
}
