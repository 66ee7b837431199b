/**
 * One epoch's checkpoint, everything a run needs to continue exactly where it was:
 *
 *   checkpoints/e0007/
 *     model/          the model helper's version folder: model.json, weights.bin, config.json
 *     optimizer.bin   the optimiser's slots (Adam m and v, or SGD momentum), float32 LE, in order
 *     state.json      epoch, step, optimiser iterations and slot shapes, Adam's β powers,
 *                     batch sampler state, early-stopping state, 'plateau' schedule state, history
 *
 * The folder is written under a temporary name and renamed into place; run.json naming it is what
 * makes it count (runRecord.ts).
 */
import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import { writeFolderAtomicWith, writeSynced } from '../../node/storage/durableWrite'
import { VoxloopError } from '../../shared/errors'
import { EpochSummarySchema, OptimizerKindSchema, type EpochSummary } from '../../shared/training'
import type { BatchSamplerState } from '../data/BatchSampler'
import { loadModel, saveModel, type JsonObject } from '../model'
import type { EarlyStoppingState } from './earlyStopping'
import { INITIAL_PLATEAU, type PlateauState } from './lrSchedule'
import type { OptimizerState } from './optimizers'
import { CHECKPOINTS_DIR } from './runRecord'

export const CHECKPOINT_FORMAT_VERSION = 1
const MODEL_DIR = 'model'
const OPTIMIZER_BIN = 'optimizer.bin'
const STATE_JSON = 'state.json'

export interface CheckpointContents {
  /** Epochs completed. */
  epoch: number
  /** Optimiser steps done. */
  step: number
  optimizer: OptimizerState
  sampler: BatchSamplerState
  earlyStopping: EarlyStoppingState
  /** The 'plateau' schedule's state (INITIAL_PLATEAU for other schedules and older checkpoints). */
  plateau: PlateauState
  history: EpochSummary[]
}

const StateSchema = z.object({
  formatVersion: z.literal(CHECKPOINT_FORMAT_VERSION),
  epoch: z.number().int().min(0),
  step: z.number().int().min(0),
  optimizer: z.object({
    kind: OptimizerKindSchema,
    iterations: z.number().int().min(0),
    adamBetaPowers: z.tuple([z.number(), z.number()]).nullable(),
    slots: z.array(z.object({ name: z.string(), shape: z.array(z.number().int().min(0)) }))
  }),
  sampler: z.object({ version: z.literal(1), seed: z.number().int(), step: z.number().int().min(0), fingerprint: z.string() }),
  /** Batches derive their random streams from (seed, step); nothing else in a run draws. */
  random: z.object({ scheme: z.literal('per-step'), seed: z.number().int() }),
  earlyStopping: z.object({ bestScore: z.number().nullable(), bestEpoch: z.number().int().nullable(), epochsWithoutImprovement: z.number().int().min(0) }),
  /** Absent in checkpoints from before the 'plateau' schedule: no reduction yet. */
  plateau: z.object({ reductions: z.number().int().min(0), bestScore: z.number().nullable(), epochsWithoutImprovement: z.number().int().min(0) }).optional(),
  history: z.array(EpochSummarySchema)
})

export function checkpointName(epoch: number): string {
  return `e${String(epoch).padStart(4, '0')}`
}

/** `checkpoints/<name>` relative to the version folder. */
export function checkpointPath(name: string): string {
  return `${CHECKPOINTS_DIR}/${name}`
}

function optimizerBytes(state: OptimizerState): Uint8Array {
  const total = state.slots.reduce((n, slot) => n + slot.values.length, 0)
  const all = new Float32Array(total)
  let offset = 0
  for (const slot of state.slots) {
    all.set(slot.values, offset)
    offset += slot.values.length
  }
  // Float32Array is platform-endian; every platform Voxloop ships on is little-endian.
  return new Uint8Array(all.buffer)
}

/** Writes `checkpoints/<name>/` for the version folder `versionDir`; returns its relative path. */
export async function writeCheckpoint(versionDir: string, name: string, model: tf.LayersModel, contents: CheckpointContents, metadata: { architecture: JsonObject; training: JsonObject }): Promise<string> {
  // A folder of this name is debris of a run that died before run.json named it: replaced.
  await writeFolderAtomicWith(
    join(versionDir, CHECKPOINTS_DIR, name),
    async (temporary) => {
      await saveModel(model, join(temporary, MODEL_DIR), metadata)
      await writeSynced(join(temporary, OPTIMIZER_BIN), optimizerBytes(contents.optimizer))
      const state: z.input<typeof StateSchema> = {
        formatVersion: CHECKPOINT_FORMAT_VERSION,
        epoch: contents.epoch,
        step: contents.step,
        optimizer: {
          kind: contents.optimizer.kind,
          iterations: contents.optimizer.iterations,
          adamBetaPowers: contents.optimizer.adamBetaPowers,
          slots: contents.optimizer.slots.map((slot) => ({ name: slot.name, shape: slot.shape }))
        },
        sampler: contents.sampler,
        random: { scheme: 'per-step', seed: contents.sampler.seed },
        earlyStopping: contents.earlyStopping,
        plateau: contents.plateau,
        history: contents.history
      }
      await writeSynced(join(temporary, STATE_JSON), `${JSON.stringify(state)}\n`)
    },
    { replace: true }
  )
  return checkpointPath(name)
}

function corrupt(file: string, problem: string, cause?: unknown): VoxloopError {
  return new VoxloopError('MODEL_CORRUPT', `${file}: ${problem}`, cause === undefined ? {} : { cause })
}

/** Reads state.json and optimizer.bin of a checkpoint (not the model). */
export async function readCheckpointContents(versionDir: string, relative: string): Promise<CheckpointContents> {
  const dir = join(versionDir, relative)
  const stateFile = join(dir, STATE_JSON)
  let json: unknown
  try {
    json = JSON.parse(await readFile(stateFile, 'utf8'))
  } catch (error) {
    throw corrupt(stateFile, 'missing or not valid JSON', error)
  }
  const parsed = StateSchema.safeParse(json)
  if (!parsed.success) throw corrupt(stateFile, `not a checkpoint state (${parsed.error.issues[0]?.message ?? 'unknown problem'})`)
  const state = parsed.data
  const binFile = join(dir, OPTIMIZER_BIN)
  const bytes = await readFile(binFile).catch((error: unknown) => {
    throw corrupt(binFile, 'missing', error)
  })
  const sizes = state.optimizer.slots.map((slot) => slot.shape.reduce((a, b) => a * b, 1))
  const total = sizes.reduce((a, b) => a + b, 0)
  if (bytes.byteLength !== total * 4) throw corrupt(binFile, `${bytes.byteLength} bytes, the slots in ${STATE_JSON} need ${total * 4}`)
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
  let offset = 0
  const slots = state.optimizer.slots.map((slot, i) => {
    const size = sizes[i] as number
    const out = { name: slot.name, shape: slot.shape, values: values.slice(offset, offset + size) }
    offset += size
    return out
  })
  return {
    epoch: state.epoch,
    step: state.step,
    optimizer: { kind: state.optimizer.kind, iterations: state.optimizer.iterations, adamBetaPowers: state.optimizer.adamBetaPowers, slots },
    sampler: state.sampler,
    earlyStopping: state.earlyStopping,
    plateau: state.plateau ?? INITIAL_PLATEAU,
    history: state.history
  }
}

/** The checkpoint's model (also the version's model when it is the best checkpoint). */
export function loadCheckpointModel(versionDir: string, relative: string): Promise<tf.LayersModel> {
  return loadModel(join(versionDir, relative, MODEL_DIR)).then((loaded) => loaded.model)
}

/** Removes everything in checkpoints/ but the named checkpoints (old epochs, interrupted saves). */
export async function pruneCheckpoints(versionDir: string, keep: ReadonlyArray<string | null>): Promise<void> {
  const parent = join(versionDir, CHECKPOINTS_DIR)
  const kept = new Set(keep.filter((k): k is string => k !== null))
  const entries = await readdir(parent).catch(() => [] as string[])
  for (const entry of entries) {
    if (!kept.has(checkpointPath(entry))) await rm(join(parent, entry), { recursive: true, force: true })
  }
}
