import { VoxloopError } from '../../shared/errors'
import { predictCaseForReview, releasePredictionModel, type PredictCaseRequest, type PredictCaseResult } from './predictCaseForReview'

/**
 * Engine-side prediction for the active-learning loop. Between patch batches it yields to the event
 * loop so that a cancel message is seen, and a cancelled call ends with CANCELLED within a batch.
 */
export class PredictionRunner {
  private cancelled = false
  private busy = false

  async predict(request: PredictCaseRequest): Promise<PredictCaseResult> {
    this.cancelled = false
    this.busy = true
    try {
      return await predictCaseForReview(request, async () => {
        await new Promise<void>((resolve) => setImmediate(resolve))
        if (this.cancelled) throw new VoxloopError('CANCELLED', 'prediction cancelled')
      })
    } finally {
      this.busy = false
    }
  }

  cancel(): { cancelled: boolean } {
    this.cancelled = this.busy
    return { cancelled: this.busy }
  }

  release(): null {
    releasePredictionModel()
    return null
  }
}
