/**
 * WGSL programs for Conv3D and its two gradients on tfjs's 'webgpu' backend (NDHWC, float32,
 * dilation 1), as implicit GEMMs: the output [positions, Cout] = im2col(x) [positions, K] ·
 * W [K, Cout] with K = kd·kh·kw·Cin, where im2col is never written out: each workgroup gathers the
 * slice of it that it needs into workgroup memory.
 *
 * Why not tfjs's kernels: its Conv3D runs one thread per output element re-reading the input and
 * filter from global memory for every multiply-add, and its filter gradient runs one thread per
 * filter weight that loops over every output voxel (216 threads for a 1→8 first layer: a GPU with
 * thousands of lanes stays idle). Here:
 * - forward and input gradient (`Conv3dTiledProgram`): a workgroup of 64 threads owns PT output
 *   positions × CT output channels; per K chunk of 8 it stages the input patch rows [PT × 8] and the
 *   filter rows [8 × CT] in workgroup memory, and each thread accumulates 4 positions × 4 channels
 *   (a vec4) from them, so every staged value is used 4 times from fast memory.
 * - input gradient: the forward program run on dy with the filter flipped in space and its
 *   channel axes swapped, read in place (`flip`), and the stride turned into an input dilation (dy
 *   read at q / s where q is divisible by s): dx = conv(dilate(dy, s), flip(Wᵀ)) with pad k−1−pad.
 *   At stride 2 in 3D seven of eight gathered taps are zeros (wasted, but the layers that need it
 *   are the smaller, downsampled ones).
 * - filter gradient (`Conv3dFilterSplitKProgram`): dW [K, Cout] = Σ_p im2col(x)[p, K]ᵀ · dy[p, Cout]
 *   is split over the positions (split-K): workgroup (k tile, channel tile, chunk) sums one chunk of
 *   positions into its own slice of a partial buffer [chunks, K, Cout], staged 8 positions at a
 *   time, and `ChunkSumProgram` adds the chunks (one thread per weight, reading coalesced rows).
 *   The chunk count aims at ≥ 512 workgroups so that even a 1→8 layer fills a large GPU.
 */
import type { WebGpuProgram } from './webgpuProgram'

/** Threads per workgroup of every program here. */
const THREADS = 64
/** K (patch) entries staged per step of the forward program. */
const K_CHUNK = 8
/** Output positions each forward thread computes (rows of its 4×4 block). */
const ROWS_PER_THREAD = 4
/** Positions staged per step of the filter-gradient program. */
const POSITION_CHUNK = 8
/** Filter rows each filter-gradient thread computes. */
const FILTER_ROWS_PER_THREAD = 2

/** Geometry uniforms shared by both conv programs (WGSL struct order). */
export const CONV_UNIFORMS = [
  'inD', 'inH', 'inW', 'inC', 'outD', 'outH', 'outW', 'outC', 'kD', 'kH', 'kW',
  'strideD', 'strideH', 'strideW', 'padD', 'padH', 'padW', 'dilD', 'dilH', 'dilW', 'positions', 'kTotal'
] as const

/** The smallest channel tile (4, 8, 16, 32) that holds `channels`: a 2-class head wastes 2 of 4 lanes, not 30 of 32. */
export function channelTile(channels: number): 4 | 8 | 16 | 32 {
  if (channels <= 4) return 4
  if (channels <= 8) return 8
  if (channels <= 16) return 16
  return 32
}

/**
 * One value of the (virtual) im2col matrix: input voxel of the patch entry k for the output
 * position whose batch index and window corner (in input coordinates, dilated by `dil` for the
 * input gradient) are `base`; 0 outside the volume, between dilated voxels, or past K.
 */
const INPUT_AT = `
  fn inputAt(base : vec4<i32>, k : i32) -> f32 {
    if (base.x < 0 || k >= uniforms.kTotal) { return 0.0; }
    let ci = k % uniforms.inC;
    var t = k / uniforms.inC;
    let kw = t % uniforms.kW;
    t = t / uniforms.kW;
    let kh = t % uniforms.kH;
    let kd = t / uniforms.kH;
    let q = base.yzw + vec3<i32>(kd, kh, kw);
    let dil = vec3<i32>(uniforms.dilD, uniforms.dilH, uniforms.dilW);
    if (any(q < vec3<i32>(0)) || any(q % dil != vec3<i32>(0))) { return 0.0; }
    let i = q / dil;
    if (i.x >= uniforms.inD || i.y >= uniforms.inH || i.z >= uniforms.inW) { return 0.0; }
    return x[(((base.x * uniforms.inD + i.x) * uniforms.inH + i.y) * uniforms.inW + i.z) * uniforms.inC + ci];
  }

  /** Batch index and window corner of output position p (batch −1 past the end). */
  fn windowOf(p : i32) -> vec4<i32> {
    if (p >= uniforms.positions) { return vec4<i32>(-1, 0, 0, 0); }
    let ow = p % uniforms.outW;
    var t = p / uniforms.outW;
    let oh = t % uniforms.outH;
    t = t / uniforms.outH;
    let od = t % uniforms.outD;
    let b = t / uniforms.outD;
    return vec4<i32>(b, od * uniforms.strideD - uniforms.padD, oh * uniforms.strideH - uniforms.padH, ow * uniforms.strideW - uniforms.padW);
  }
`

export interface TiledLayout {
  channelTile: number
  /** Output positions per workgroup. */
  positionTile: number
}

export function tiledLayout(outChannels: number): TiledLayout {
  const ct = channelTile(outChannels)
  return { channelTile: ct, positionTile: (THREADS / (ct / 4)) * ROWS_PER_THREAD }
}

/**
 * Forward Conv3D (flip = false: filter [kd, kh, kw, inC, outC]) or the input gradient (flip = true:
 * the same filter array read as flip(Wᵀ), so here inC is the layer's Cout and outC its Cin).
 * Output [batch, outD, outH, outW, outC]; dispatch [position tiles (x·y), channel tiles, 1].
 */
export class Conv3dTiledProgram implements WebGpuProgram {
  readonly variableNames = ['x', 'w']
  readonly workgroupSize: [number, number, number] = [THREADS, 1, 1]
  // y and z present: the backend calls main() without an index and builds no getOutputCoords.
  readonly dispatchLayout = { x: [0], y: [1], z: [2] }
  readonly shaderKey: string
  readonly dispatch: [number, number, number]

  constructor(
    readonly outputShape: number[],
    readonly uniforms: string,
    private readonly layout: TiledLayout,
    private readonly flip: boolean,
    positionTiles: [number, number],
    channelTiles: number
  ) {
    this.shaderKey = `voxloopConv3dTiled_${layout.channelTile}_${flip ? 'flip' : 'plain'}`
    this.dispatch = [positionTiles[0], positionTiles[1], channelTiles]
  }

  getUserCode(): string {
    const ct = this.layout.channelTile
    const pt = this.layout.positionTile
    const tc = ct / 4
    const tr = THREADS / tc
    const filterIndex = this.flip
      ? `let ci = k % uniforms.inC;
         var t = k / uniforms.inC;
         let kw = t % uniforms.kW;
         t = t / uniforms.kW;
         let kh = t % uniforms.kH;
         let kd = t / uniforms.kH;
         return w[((((uniforms.kD - 1 - kd) * uniforms.kH + (uniforms.kH - 1 - kh)) * uniforms.kW + (uniforms.kW - 1 - kw)) * uniforms.outC + c) * uniforms.inC + ci];`
      : 'return w[k * uniforms.outC + c];'
    return `
  ${INPUT_AT}
  fn filterAt(k : i32, c : i32) -> f32 {
    if (k >= uniforms.kTotal || c >= uniforms.outC) { return 0.0; }
    ${filterIndex}
  }

  var<workgroup> rowBase : array<vec4<i32>, ${pt}>;
  var<workgroup> tileA : array<f32, ${pt * K_CHUNK}>;
  var<workgroup> tileB : array<f32, ${K_CHUNK * ct}>;

  fn main() {
    let tile = i32(workgroupId.x + workgroupId.y * numWorkgroups.x);
    let colTile = i32(workgroupId.z);
    let li = i32(localIndex);
    let tx = li % ${tc};
    let ty = li / ${tc};
    for (var r = li; r < ${pt}; r += ${THREADS}) {
      rowBase[r] = windowOf(tile * ${pt} + r);
    }
    var acc : array<vec4<f32>, ${ROWS_PER_THREAD}>;
    for (var k0 = 0; k0 < uniforms.kTotal; k0 += ${K_CHUNK}) {
      workgroupBarrier();
      for (var e = li; e < ${pt * K_CHUNK}; e += ${THREADS}) {
        tileA[e] = inputAt(rowBase[e / ${K_CHUNK}], k0 + e % ${K_CHUNK});
      }
      for (var e = li; e < ${K_CHUNK * ct}; e += ${THREADS}) {
        tileB[e] = filterAt(k0 + e / ${ct}, colTile * ${ct} + e % ${ct});
      }
      workgroupBarrier();
      for (var kk = 0; kk < ${K_CHUNK}; kk++) {
        let o = kk * ${ct} + tx * 4;
        let wv = vec4<f32>(tileB[o], tileB[o + 1], tileB[o + 2], tileB[o + 3]);
        for (var i = 0; i < ${ROWS_PER_THREAD}; i++) {
          acc[i] += tileA[(ty + i * ${tr}) * ${K_CHUNK} + kk] * wv;
        }
      }
    }
    for (var i = 0; i < ${ROWS_PER_THREAD}; i++) {
      let p = tile * ${pt} + ty + i * ${tr};
      if (p < uniforms.positions) {
        for (var j = 0; j < 4; j++) {
          let c = colTile * ${ct} + tx * 4 + j;
          if (c < uniforms.outC) { result[p * uniforms.outC + c] = acc[i][j]; }
        }
      }
    }
  }`
  }
}

export interface SplitKLayout {
  channelTile: number
  /** Filter rows (patch entries) per workgroup. */
  kTile: number
}

export function splitKLayout(outChannels: number): SplitKLayout {
  const ct = channelTile(outChannels)
  return { channelTile: ct, kTile: (THREADS / (ct / 4)) * FILTER_ROWS_PER_THREAD }
}

/** Workgroups the split-K dispatch aims for: enough to fill a large GPU even on a 1→8 layer. */
const TARGET_WORKGROUPS = 512
/** Fewest positions a chunk sums (below that the reduction costs more than it spreads). */
const MIN_CHUNK_POSITIONS = 64

/** How the positions are split: chunk length (a multiple of the staging step) and count. */
export function planChunks(positions: number, tilesPerChunk: number): { chunkLen: number; chunks: number } {
  const wanted = Math.max(1, Math.min(Math.ceil(TARGET_WORKGROUPS / tilesPerChunk), Math.ceil(positions / MIN_CHUNK_POSITIONS)))
  const chunkLen = Math.ceil(Math.ceil(positions / wanted) / POSITION_CHUNK) * POSITION_CHUNK
  return { chunkLen, chunks: Math.ceil(positions / chunkLen) }
}

export const SPLIT_K_UNIFORMS = [...CONV_UNIFORMS, 'chunkLen', 'steps'] as const

/**
 * Partial filter gradients: output [chunks, K, Cout] (or the filter shape when there is one chunk),
 * each chunk the sum over its positions; dispatch [K tiles, channel tiles, chunks].
 */
export class Conv3dFilterSplitKProgram implements WebGpuProgram {
  readonly variableNames = ['x', 'dy']
  readonly workgroupSize: [number, number, number] = [THREADS, 1, 1]
  readonly dispatchLayout = { x: [0], y: [1], z: [2] }
  readonly shaderKey: string
  readonly dispatch: [number, number, number]

  constructor(
    readonly outputShape: number[],
    readonly uniforms: string,
    private readonly layout: SplitKLayout,
    kTiles: number,
    channelTiles: number,
    chunks: number
  ) {
    this.shaderKey = `voxloopConv3dFilterSplitK_${layout.channelTile}`
    this.dispatch = [kTiles, channelTiles, chunks]
  }

  getUserCode(): string {
    const ct = this.layout.channelTile
    const kt = this.layout.kTile
    const tc = ct / 4
    const tr = THREADS / tc
    const pc = POSITION_CHUNK
    return `
  ${INPUT_AT}
  var<workgroup> posBase : array<vec4<i32>, ${pc}>;
  var<workgroup> tileX : array<f32, ${pc * kt}>;
  var<workgroup> tileDy : array<f32, ${pc * ct}>;

  fn main() {
    let kTile = i32(workgroupId.x);
    let colTile = i32(workgroupId.y);
    let chunk = i32(workgroupId.z);
    let li = i32(localIndex);
    let tx = li % ${tc};
    let ty = li / ${tc};
    let start = chunk * uniforms.chunkLen;
    let end = min(start + uniforms.chunkLen, uniforms.positions);
    var acc : array<vec4<f32>, ${FILTER_ROWS_PER_THREAD}>;
    // A uniform trip count (not start..end, which WGSL's uniformity analysis cannot see is the
    // same across the workgroup): barriers must stay in uniform control flow.
    for (var s = 0; s < uniforms.steps; s++) {
      let p0 = start + s * ${pc};
      workgroupBarrier();
      if (li < ${pc}) {
        var base = vec4<i32>(-1, 0, 0, 0);
        if (p0 + li < end) { base = windowOf(p0 + li); }
        posBase[li] = base;
      }
      for (var e = li; e < ${pc * ct}; e += ${THREADS}) {
        let p = p0 + e / ${ct};
        let c = colTile * ${ct} + e % ${ct};
        var v = 0.0;
        if (p < end && c < uniforms.outC) { v = dy[p * uniforms.outC + c]; }
        tileDy[e] = v;
      }
      workgroupBarrier();
      for (var e = li; e < ${pc * kt}; e += ${THREADS}) {
        tileX[e] = inputAt(posBase[e / ${kt}], kTile * ${kt} + e % ${kt});
      }
      workgroupBarrier();
      for (var pp = 0; pp < ${pc}; pp++) {
        let o = pp * ${ct} + tx * 4;
        let g = vec4<f32>(tileDy[o], tileDy[o + 1], tileDy[o + 2], tileDy[o + 3]);
        for (var i = 0; i < ${FILTER_ROWS_PER_THREAD}; i++) {
          acc[i] += tileX[pp * ${kt} + ty + i * ${tr}] * g;
        }
      }
    }
    for (var i = 0; i < ${FILTER_ROWS_PER_THREAD}; i++) {
      let k = kTile * ${kt} + ty + i * ${tr};
      if (k < uniforms.kTotal) {
        for (var j = 0; j < 4; j++) {
          let c = colTile * ${ct} + tx * 4 + j;
          if (c < uniforms.outC) { result[(chunk * uniforms.kTotal + k) * uniforms.outC + c] = acc[i][j]; }
        }
      }
    }
  }`
  }
}

/** out[i] = Σ_c partial[c, i]: the reduction pass of the split-K filter gradient. */
export class ChunkSumProgram implements WebGpuProgram {
  readonly variableNames = ['partial']
  readonly workgroupSize: [number, number, number] = [THREADS, 1, 1]
  readonly uniforms = 'chunks : i32,'
  readonly size = true
  readonly shaderKey = 'voxloopChunkSum'
  readonly dispatchLayout: { x: number[] }
  readonly dispatch: [number, number, number]

  constructor(readonly outputShape: number[]) {
    const size = outputShape.reduce((a, b) => a * b, 1)
    this.dispatchLayout = { x: outputShape.map((_, i) => i) }
    // The backend folds x beyond 65535 workgroups into x·y and main() then gets the flat index.
    this.dispatch = [Math.ceil(size / THREADS), 1, 1]
  }

  getUserCode(): string {
    return `
  fn main(index : i32) {
    if (index < uniforms.size) {
      var sum = 0.0;
      for (var c = 0; c < uniforms.chunks; c++) { sum += partial[c * uniforms.size + index]; }
      setOutputAtIndex(index, sum);
    }
  }`
  }
}
