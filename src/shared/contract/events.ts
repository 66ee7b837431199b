import { z } from 'zod'
import { EngineStatusSchema } from '../system'
import { PredictionFinishedSchema, PredictionProgressSchema } from '../prediction'
import { TrainingEpochEventSchema, TrainingPreparingSchema, TrainingProgressSchema, TrainingResultSchema } from '../training'

/** Events pushed from main to the renderer. */
export const events = {
  'engine:status': EngineStatusSchema,
  'app:notice': z.object({ level: z.enum(['info', 'warning', 'error']), message: z.string() }),
  /** The case list changed (import, save, status): the renderer refreshes it. */
  'cases:changed': z.object({ caseIds: z.array(z.string()) }),
  /** One more case (or DICOM series) of the running import handled: staged, or skipped with a reason. */
  'projects:importProgress': z.object({
    source: z.string(),
    done: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    caseId: z.string()
  }),
  /** One more case predicted (background prediction run). */
  'predictions:progress': PredictionProgressSchema,
  'predictions:finished': PredictionFinishedSchema,
  /** A training run being started prepared one more case (before it is planned and its steps begin). */
  'training:preparing': TrainingPreparingSchema,
  /** A training run's step, validation or checkpoint phase (a few per second at most). */
  'training:progress': TrainingProgressSchema,
  /** An epoch ended: loss, validation Dice per label, whether it is the new best. */
  'training:epoch': TrainingEpochEventSchema,
  /** A run ended: completed, early-stopped, cancelled, stopped or failed. */
  'training:finished': TrainingResultSchema
} as const

export type Events = typeof events
export type EventName = keyof Events
export type EventPayload<E extends EventName> = z.output<Events[E]>

export const EVENT_NAMES = Object.keys(events) as EventName[]

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(events, value)
}

export interface EventMessage<E extends EventName = EventName> {
  name: E
  payload: EventPayload<E>
}
