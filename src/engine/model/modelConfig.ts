/**
 * A model version folder and its config.json: what was built and how it was trained (as the caller
 * describes it), plus the size and SHA-256 of the two tfjs files so that a truncated or altered
 * file is caught before tfjs reads it.
 *
 *   <projectDir>/models/<version>/
 *     model.json    tfjs 'layers-model' topology + weights manifest (paths: ["weights.bin"] only)
 *     weights.bin   all weights, float32 little-endian, in manifest order
 *     config.json   this file's schema
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { VoxloopError } from '../../shared/errors'

export const MODEL_JSON = 'model.json'
export const WEIGHTS_BIN = 'weights.bin'
export const CONFIG_JSON = 'config.json'
/** The config.json format this code writes and reads; bumped on incompatible changes. */
export const MODEL_FORMAT_VERSION = 1

const JsonObjectSchema = z.record(z.string(), z.json())
export type JsonObject = z.infer<typeof JsonObjectSchema>

const FileDigestSchema = z.object({
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/)
})
export type FileDigest = z.infer<typeof FileDigestSchema>

const ShapeSchema = z.array(z.number().int().positive().nullable())

export const ModelConfigSchema = z.object({
  formatVersion: z.literal(MODEL_FORMAT_VERSION),
  /** ISO 8601 time of saving. */
  savedAt: z.iso.datetime(),
  /** The tfjs version that wrote the files. */
  tfjsVersion: z.string(),
  /** The model's input and output shapes (NDHWC, null = any size) and weight count. */
  model: z.object({ name: z.string(), inputShape: ShapeSchema, outputShape: ShapeSchema, parameters: z.number().int().min(0) }),
  /** What the caller built: e.g. { builder: 'unet3d', options: { … } }. */
  architecture: JsonObjectSchema,
  /** Training settings and results the caller passed (optimizer, epochs, validation Dice, …). */
  training: JsonObjectSchema,
  files: z.object({ [MODEL_JSON]: FileDigestSchema, [WEIGHTS_BIN]: FileDigestSchema })
})
export type ModelConfig = z.infer<typeof ModelConfigSchema>

/** What `saveModel`'s caller says about the model. */
export interface ModelMetadata {
  architecture: JsonObject
  training?: JsonObject
}

export function modelCorrupt(file: string, problem: string, cause?: unknown): VoxloopError {
  return new VoxloopError('MODEL_CORRUPT', `${file}: ${problem}`, cause === undefined ? {} : { cause })
}

export function digestOf(data: Uint8Array): FileDigest {
  return { bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') }
}

function issuesText(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ')
}

/** Reads a file of the model folder; a missing file is MODEL_CORRUPT naming it. */
export async function readModelFile(dir: string, name: string): Promise<Buffer> {
  const file = join(dir, name)
  try {
    return await readFile(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw modelCorrupt(file, `${name} is missing from the model folder`, error)
    throw error
  }
}

export function parseJsonFile(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (error) {
    throw modelCorrupt(file, `not valid JSON (${error instanceof Error ? error.message : String(error)})`, error)
  }
}

/** Reads and checks `<dir>/config.json`: MODEL_CORRUPT for a missing or bad file or another format version. */
export async function readModelConfig(dir: string): Promise<ModelConfig> {
  const file = join(dir, CONFIG_JSON)
  const json = parseJsonFile(await readModelFile(dir, CONFIG_JSON), file)
  const version = (json as { formatVersion?: unknown } | null)?.formatVersion
  if (version !== MODEL_FORMAT_VERSION) {
    const newer = typeof version === 'number' && version > MODEL_FORMAT_VERSION
    throw modelCorrupt(
      file,
      `format version ${JSON.stringify(version ?? null)} is not supported; this Voxloop reads version ${MODEL_FORMAT_VERSION}${newer ? '. Update Voxloop to open this model.' : ''}`
    )
  }
  const parsed = ModelConfigSchema.safeParse(json)
  if (!parsed.success) throw modelCorrupt(file, `not a valid model config: ${issuesText(parsed.error)}`)
  return parsed.data
}

/** MODEL_CORRUPT unless `data` has the size and SHA-256 that config.json recorded for `name`. */
export function checkDigest(dir: string, name: string, data: Uint8Array, expected: FileDigest): void {
  const actual = digestOf(data)
  if (actual.bytes !== expected.bytes) {
    throw modelCorrupt(join(dir, name), `${actual.bytes} bytes, but config.json recorded ${expected.bytes} (truncated or replaced)`)
  }
  if (actual.sha256 !== expected.sha256) throw modelCorrupt(join(dir, name), 'contents differ from the SHA-256 recorded in config.json (file altered or damaged)')
}
