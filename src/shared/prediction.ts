import { z } from 'zod'
import { CaseIdSchema } from './project'

/** Predicting cases with a model version, in the background (the active-learning loop). */
export const PredictionRequestSchema = z
  .object({
    /** Default: every case that is not in review or done (unlabeled and predicted ones). */
    caseIds: z.array(CaseIdSchema).min(1).max(100_000).optional(),
    /** Default: the project's active model, else its newest usable version. */
    model: CaseIdSchema.optional(),
    /** Mirror test-time augmentation: better maps and uncertainty, four times the work. */
    tta: z.boolean().optional()
  })
  .strict()
export type PredictionRequest = z.input<typeof PredictionRequestSchema>

export const PredictionStatusSchema = z.object({
  state: z.enum(['idle', 'running', 'cancelling']),
  model: z.string().nullable(),
  done: z.number().int(),
  total: z.number().int(),
  current: z.string().nullable()
})
export type PredictionStatus = z.infer<typeof PredictionStatusSchema>

export const PredictionProgressSchema = z.object({
  model: z.string(),
  caseId: z.string(),
  score: z.number(),
  seconds: z.number(),
  done: z.number().int(),
  total: z.number().int()
})
export type PredictionProgress = z.infer<typeof PredictionProgressSchema>

export const PredictionFinishedSchema = z.object({
  model: z.string(),
  done: z.number().int(),
  total: z.number().int(),
  cancelled: z.boolean(),
  error: z.string().nullable()
})
export type PredictionFinished = z.infer<typeof PredictionFinishedSchema>
