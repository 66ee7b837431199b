/**
 * Messages between the engine and a GPU host: the page that does the engine's GPU work where the
 * engine itself cannot reach the GPU (issue #16 item 2). In the desktop app the host is a hidden,
 * sandboxed Chromium window (Electron forbids the buffers Dawn's Node addon maps, so the engine's
 * process cannot use Dawn); main hands the engine one end of a MessageChannel and the window the other.
 *
 * The split is the gradient workers' (gradientWorkerProtocol.ts): weights and the batch in, the loss
 * and gradients out; the engine's optimiser applies them, so weights, optimiser slots, checkpoints,
 * validation bookkeeping and exact resume stay in the engine. For prediction the model is loaded
 * once per case, then tiles in, probabilities out.
 *
 * Both ends parse what they receive with these schemas: a malformed message is answered (or
 * reported) as such and the port stays open; neither end trusts the other's shapes.
 */
import { z } from 'zod'
import { GpuAdapterSummarySchema } from '../../shared/backends'
import { LossPlanSchema } from '../../shared/training'

const positive = z.number().int().positive()
const Shape5Schema = z.tuple([positive, positive, positive, positive, positive])
// Typed arrays over any buffer (zod's instanceof would narrow them to ArrayBuffer-backed ones).
const float32 = z.custom<Float32Array>((value) => value instanceof Float32Array, 'expected a Float32Array')
const uint8 = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected a Uint8Array')

export const GpuHostRequestSchema = z.discriminatedUnion('kind', [
  /** Is there an adapter? Answered by 'probed'. */
  z.object({ kind: z.literal('probe'), id: positive }),
  /**
   * A model for later 'step' and 'predict' requests under `key`: its tf.LayersModel.toJSON(), and
   * its weights (model.weights order) when it is to predict. Replaces the model held before.
   */
  z.object({
    kind: z.literal('load'),
    id: positive,
    key: positive,
    modelTopology: z.string().min(2),
    numClasses: z.number().int().min(2),
    loss: LossPlanSchema,
    weights: z.array(float32).nullable()
  }),
  /** One batch's loss and gradients with these trainable weights (model.trainableWeights order). */
  z.object({
    kind: z.literal('step'),
    id: positive,
    key: positive,
    weights: z.array(float32),
    image: float32,
    labels: uint8,
    shape: Shape5Schema
  }),
  /** Class probabilities of a tile batch [B, D, H, W, C], averaged over the mirror passes (flipTta.ts). */
  z.object({
    kind: z.literal('predict'),
    id: positive,
    key: positive,
    input: float32,
    shape: Shape5Schema,
    mirrorAxes: z.array(z.array(z.number().int().min(1).max(3))).max(8)
  })
])
export type GpuHostRequest = z.infer<typeof GpuHostRequestSchema>

export const GPU_HOST_FAILURE_CODES = ['GPU_ERROR', 'INVALID_ARGUMENT', 'ENGINE_FAILED'] as const

export const GpuHostReplySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('probed'), id: positive, adapter: GpuAdapterSummarySchema.nullable(), reason: z.string() }),
  z.object({ kind: z.literal('loaded'), id: positive, key: positive }),
  z.object({ kind: z.literal('stepped'), id: positive, loss: z.number(), gradients: z.array(float32) }),
  z.object({ kind: z.literal('predicted'), id: positive, probabilities: float32 }),
  /** `id` 0: a message the host could not even read an id from. */
  z.object({ kind: z.literal('failed'), id: z.number().int().nonnegative(), code: z.enum(GPU_HOST_FAILURE_CODES), message: z.string(), details: z.array(z.string()).optional() })
])
export type GpuHostReply = z.infer<typeof GpuHostReplySchema>

/**
 * The buffers a reply hands over instead of copying. Only the host's replies transfer (it made their
 * arrays with slice()); the engine's requests are copied, since their arrays may be a backend's own
 * storage (the cpu backend's data() is the tensor's buffer) or the batch sampler's.
 */
export function replyTransferables(reply: GpuHostReply): ArrayBuffer[] {
  const arrays = reply.kind === 'stepped' ? reply.gradients : reply.kind === 'predicted' ? [reply.probabilities] : []
  // Only arrays that own their whole buffer: a view's buffer may hold other data.
  return [...new Set(arrays.filter((a) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength).map((a) => a.buffer as ArrayBuffer))]
}
