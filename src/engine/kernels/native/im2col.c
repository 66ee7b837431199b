// im2col for NDHWC Conv3D (dilation 1), compiled to a tiny WebAssembly module that imports the
// memory of tfjs-backend-wasm, so it reads and writes tensors in place on the wasm heap.
//
// Why native: the same loops in JavaScript cost one copyWithin call per (position, kd, kh) run or
// one JS iteration per float; together with the matrix transpose of the filter gradient they were
// about half of a 32³ training step (docs/KERNELS.md). Here a run is an inline copy.
//
// Constraints (checked by scripts/buildNativeKernels.mjs): the module has no data segments and its
// functions never touch the shadow stack, because the memory it imports belongs to tfjs (whose
// own stack and data live at its low addresses). Everything is in locals and arguments.
//
// Geometry arguments mirror src/engine/kernels/conv3dGeometry.ts: input D/H/W/C, filter
// KD/KH/KW, strides SD/SH/SW, leading pads PF/PT/PL, output OD/OH/OW. Pointers are byte offsets.

#include <stdint.h>
#include <wasm_simd128.h>

#define GEOMETRY                                                                        \
  int32_t D, int32_t H, int32_t W, int32_t C, int32_t KD, int32_t KH, int32_t KW,         \
      int32_t SD, int32_t SH, int32_t SW, int32_t PF, int32_t PT, int32_t PL, int32_t OD, \
      int32_t OH, int32_t OW

static inline void copy_floats(float *restrict dst, const float *restrict src, int32_t n) {
  if (n >= 64) {
    __builtin_memcpy(dst, src, (uint32_t)n * 4u);  // memory.copy (bulk memory)
    return;
  }
  // Shorter runs (a window row of a few channels) inline: memory.copy is a call out of the module.
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_v128_load(src + i));
  for (; i < n; i++) dst[i] = src[i];
}

static inline void zero_floats(float *dst, int32_t n) {
  if (n >= 8) {
    __builtin_memset(dst, 0, (uint32_t)n * 4u);  // memory.fill
    return;
  }
  for (int32_t i = 0; i < n; i++) dst[i] = 0.0f;
}

static inline int32_t max_i(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t min_i(int32_t a, int32_t b) { return a < b ? a : b; }

// Steps (oh, od, b) to the next output line in NDHW order. Always inlined: the pointers then stay
// in locals; an out-of-line call would put them on the shadow stack, which this module must not use.
static inline __attribute__((always_inline)) void next_line(int32_t *oh, int32_t *od, int32_t *b, int32_t OH,
                                                            int32_t OD) {
  if (++*oh == OH) {
    *oh = 0;
    if (++*od == OD) {
      *od = 0;
      ++*b;
    }
  }
}

// Row layout: cols[r * K + k] for the rowCount output positions from rowStart (NDHW order), with
// K = KD*KH*KW*C and k = ((kd*KH + kh)*KW + kw)*C + c: the filter read as a [K, outC] matrix.
__attribute__((export_name("im2col_rows"))) void im2col_rows(const float *x, float *cols, int32_t rowStart,
                                                               int32_t rowCount, GEOMETRY) {
  const int32_t run = KW * C;
  const int32_t planeRun = KH * run;
  const int32_t xRow = W * C;
  const int32_t xPlane = H * xRow;
  const int32_t xVolume = D * xPlane;

  int32_t ow = rowStart % OW;
  int32_t line = rowStart / OW;
  int32_t oh = line % OH;
  int32_t plane = line / OH;
  int32_t od = plane % OD;
  int32_t b = plane / OD;
  float *o = cols;
  for (int32_t r = 0; r < rowCount;) {
    const int32_t lineEnd = min_i(OW, ow + (rowCount - r));
    const int32_t d0 = od * SD - PF;
    const int32_t h0 = oh * SH - PT;
    const int32_t depthHeightInside = d0 >= 0 && d0 + KD <= D && h0 >= 0 && h0 + KH <= H;
    const float *cornerLine = x + b * xVolume + d0 * xPlane + h0 * xRow;
    for (; ow < lineEnd; ow++, r++) {
      const int32_t w0 = ow * SW - PL;
      if (depthHeightInside && w0 >= 0 && w0 + KW <= W) {
        const float *corner = cornerLine + w0 * C;
        for (int32_t kd = 0; kd < KD; kd++)
          for (int32_t kh = 0; kh < KH; kh++, o += run) copy_floats(o, corner + kd * xPlane + kh * xRow, run);
        continue;
      }
      // Border window: planes or rows in the padding are zero; along width only [kwLo, kwHi) is inside.
      const int32_t kwLo = max_i(0, -w0);
      const int32_t kwHi = min_i(KW, W - w0);
      for (int32_t kd = 0; kd < KD; kd++) {
        const int32_t id = d0 + kd;
        if (id < 0 || id >= D) {
          zero_floats(o, planeRun);
          o += planeRun;
          continue;
        }
        for (int32_t kh = 0; kh < KH; kh++, o += run) {
          const int32_t ih = h0 + kh;
          if (ih < 0 || ih >= H || kwLo >= kwHi) {
            zero_floats(o, run);
            continue;
          }
          zero_floats(o, kwLo * C);
          copy_floats(o + kwLo * C, x + b * xVolume + id * xPlane + ih * xRow + (w0 + kwLo) * C, (kwHi - kwLo) * C);
          zero_floats(o + kwHi * C, (KW - kwHi) * C);
        }
      }
    }
    ow = 0;
    next_line(&oh, &od, &b, OH, OD);
  }
}

// xT[c * positions + p] = x[p * C + c] for channels [cStart, cEnd): NDHWC to channel-major, so
// that im2col_transposed reads each (channel, input line) as a contiguous run.
__attribute__((export_name("channel_major"))) void channel_major(const float *x, float *xT, int32_t positions,
                                                                   int32_t C, int32_t cStart, int32_t cEnd) {
  for (int32_t c = cStart; c < cEnd; c++) {
    float *dst = xT + c * positions;
    const float *src = x + c;
    for (int32_t p = 0; p < positions; p++) dst[p] = src[p * C];
  }
}

// Transposed layout: colsT[k * stride + r] (stride >= rowCount; a part of a tile writes its columns
// of the whole tile's matrix), the same matrix as im2col_rows transposed, written
// directly from the channel-major input xT (channel_major above; for one channel x itself). Each
// k = (kd, kh, kw, c) row of a tile is, per output line, a run of input line c, shifted by kw (a
// plain copy at stride 1, a strided read otherwise), with zeros where the window is in the padding.
// `positions` is batch*D*H*W, the length of one channel plane of xT.
__attribute__((export_name("im2col_transposed"))) void im2col_transposed(const float *xT, float *colsT,
                                                                           int32_t rowStart, int32_t rowCount,
                                                                           GEOMETRY, int32_t positions,
                                                                           int32_t stride) {
  const int32_t ow0 = rowStart % OW;
  const int32_t line0 = rowStart / OW;
  const int32_t oh0 = line0 % OH;
  const int32_t plane0 = line0 / OH;
  const int32_t od0 = plane0 % OD;
  const int32_t b0 = plane0 / OD;

  float *dst = colsT;
  for (int32_t kd = 0; kd < KD; kd++)
    for (int32_t kh = 0; kh < KH; kh++)
      for (int32_t kw = 0; kw < KW; kw++)
        for (int32_t c = 0; c < C; c++, dst += stride) {
          const float *channel = xT + c * positions;
          int32_t ow = ow0, oh = oh0, od = od0, b = b0;
          for (int32_t r = 0; r < rowCount;) {
            const int32_t n = min_i(OW - ow, rowCount - r);
            const int32_t id = od * SD - PF + kd;
            const int32_t ih = oh * SH - PT + kh;
            float *out = dst + r;
            if (id < 0 || id >= D || ih < 0 || ih >= H) {
              zero_floats(out, n);
            } else {
              // Output columns j in [jLo, jHi) read inside the volume: iw = (ow + j)*SW - PL + kw.
              const int32_t base = ow * SW - PL + kw;
              int32_t jLo = base >= 0 ? 0 : (-base + SW - 1) / SW;
              int32_t jHi = W - base <= 0 ? 0 : (W - base + SW - 1) / SW;
              jLo = min_i(jLo, n);
              jHi = max_i(jLo, min_i(jHi, n));
              const float *src = channel + ((b * D + id) * H + ih) * W + base + jLo * SW;
              zero_floats(out, jLo);
              if (SW == 1) {
                copy_floats(out + jLo, src, jHi - jLo);
              } else {
                for (int32_t j = jLo; j < jHi; j++, src += SW) out[j] = *src;
              }
              zero_floats(out + jHi, n - jHi);
            }
            r += n;
            ow = 0;
            next_line(&oh, &od, &b, OH, OD);
          }
        }
}
