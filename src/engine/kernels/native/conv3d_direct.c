// Direct (im2col-free) Conv3D for stride 1, dilation 1, NDHWC, compiled into the same WebAssembly
// module as im2col.c and under the same rules (no data, no globals, no shadow stack: everything in
// locals and arguments; see im2col.c).
//
// Why: on the U-Net's 32³ layers (8 output channels, 27·Cin-long patches) the im2col copy and the
// matmul's packing cost as much as the arithmetic, and XNNPACK's micro-kernels are tuned for wider
// outputs. Here the input is read in place from a zero-padded copy (pad_ndhwc), so a window never
// needs a border test, and the output channels sit in SIMD lanes (blocks of 8 or 4).
//
// Geometry: the padded input xp is [B, PD, PH, PW, C] with PD = OD + KD - 1 (likewise H, W), so
// output (od, oh, ow) reads xp[od + kd, oh + kh, ow + kw]. The filter is [KD, KH, KW, C, N] as tfjs
// stores it. A "line" is one (b, od, oh): OW outputs. Callers pass a range of lines.

#include <stdint.h>
#include <wasm_simd128.h>

#define INLINE static inline __attribute__((always_inline))

// Register blocking, measured on the U-Net's layers (x64, V8): MR output positions per forward step
// (MR·NV accumulators + NV weights + 1 splat; 4 gave ~40 GFLOP/s, 5 and 6 spilled: 21–27) and TB
// patch entries (kw, c) per filter-gradient block (TB·NV accumulators + NV dy vectors + 1 splat;
// 4 gave ~37 GFLOP/s, 2/3/5/6/8 gave 22–36).
#define MR 4
#define TB 4

static inline int32_t max_i(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t min_i(int32_t a, int32_t b) { return a < b ? a : b; }

// xp = x zero-padded by (PF, PT, PL) in front, cropped or zero-filled to [B, PD, PH, PW, C] behind.
__attribute__((export_name("pad_ndhwc"))) void pad_ndhwc(const float *x, float *xp, int32_t B, int32_t D, int32_t H,
                                                           int32_t W, int32_t C, int32_t PF, int32_t PT, int32_t PL,
                                                           int32_t PD, int32_t PH, int32_t PW) {
  __builtin_memset(xp, 0, (uint32_t)B * (uint32_t)PD * (uint32_t)PH * (uint32_t)PW * (uint32_t)C * 4u);
  const int32_t wLo = max_i(0, -PL), wHi = min_i(W, PW - PL);
  if (wLo >= wHi) return;
  for (int32_t b = 0; b < B; b++)
    for (int32_t d = max_i(0, -PF); d < min_i(D, PD - PF); d++)
      for (int32_t h = max_i(0, -PT); h < min_i(H, PH - PT); h++) {
        const float *src = x + (((b * D + d) * H + h) * W + wLo) * C;
        float *dst = xp + (((b * PD + d + PF) * PH + h + PT) * PW + wLo + PL) * C;
        __builtin_memcpy(dst, src, (uint32_t)(wHi - wLo) * (uint32_t)C * 4u);
      }
}

// Where the windows of output line (b, od, oh) start: xp[b, od, oh, 0, 0] (kd = kh = kw = 0).
INLINE const float *first_window_row(const float *xp, int32_t line, int32_t PD, int32_t PH, int32_t PW, int32_t C,
                                     int32_t OD, int32_t OH) {
  const int32_t oh = line % OH, od = (line / OH) % OD, b = line / (OH * OD);
  return xp + (((b * PD + od) * PH + oh) * PW) * C;
}

// One line of outputs for output channels [co, co + 4·NV): y[ow, co..] = Σ_{kd,kh,(kw,c)} xp · w.
INLINE void forward_line(const float *row, const float *w, float *y, const int32_t NV, int32_t C, int32_t KD,
                         int32_t KH, int32_t run, int32_t xPlane, int32_t xRow, int32_t OW, int32_t N) {
  int32_t ow = 0;
  for (; ow + MR <= OW; ow += MR) {
    v128_t acc[MR][2];
    for (int32_t j = 0; j < MR; j++) acc[j][0] = acc[j][1] = wasm_f32x4_splat(0.0f);
    for (int32_t kd = 0; kd < KD; kd++)
      for (int32_t kh = 0; kh < KH; kh++) {
        const float *xr = row + kd * xPlane + kh * xRow + ow * C;
        const float *wk = w + (kd * KH + kh) * run * N;
        for (int32_t t = 0; t < run; t++, wk += N) {
          const v128_t w0 = wasm_v128_load(wk);
          const v128_t w1 = NV > 1 ? wasm_v128_load(wk + 4) : w0;
          for (int32_t j = 0; j < MR; j++) {
            const v128_t xs = wasm_v128_load32_splat(xr + j * C + t);
            acc[j][0] = wasm_f32x4_add(acc[j][0], wasm_f32x4_mul(xs, w0));
            if (NV > 1) acc[j][1] = wasm_f32x4_add(acc[j][1], wasm_f32x4_mul(xs, w1));
          }
        }
      }
    for (int32_t j = 0; j < MR; j++) {
      wasm_v128_store(y + (ow + j) * N, acc[j][0]);
      if (NV > 1) wasm_v128_store(y + (ow + j) * N + 4, acc[j][1]);
    }
  }
  for (; ow < OW; ow++) {
    v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0;
    for (int32_t kd = 0; kd < KD; kd++)
      for (int32_t kh = 0; kh < KH; kh++) {
        const float *xr = row + kd * xPlane + kh * xRow + ow * C;
        const float *wk = w + (kd * KH + kh) * run * N;
        for (int32_t t = 0; t < run; t++, wk += N) {
          const v128_t xs = wasm_v128_load32_splat(xr + t);
          a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(xs, wasm_v128_load(wk)));
          if (NV > 1) a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(xs, wasm_v128_load(wk + 4)));
        }
      }
    wasm_v128_store(y + ow * N, a0);
    if (NV > 1) wasm_v128_store(y + ow * N + 4, a1);
  }
}

// y[line, ow, n] for lines [lineStart, lineStart + lineCount); N must be a multiple of 4.
__attribute__((export_name("conv3d_direct_forward"))) void conv3d_direct_forward(
    const float *xp, const float *w, float *y, int32_t PD, int32_t PH, int32_t PW, int32_t C, int32_t KD, int32_t KH,
    int32_t KW, int32_t OD, int32_t OH, int32_t OW, int32_t N, int32_t lineStart, int32_t lineCount) {
  const int32_t run = KW * C;
  const int32_t xRow = PW * C, xPlane = PH * xRow;
  for (int32_t line = lineStart; line < lineStart + lineCount; line++) {
    const float *row = first_window_row(xp, line, PD, PH, PW, C, OD, OH);
    float *y_line = y + line * OW * N;
    int32_t co = 0;
    for (; co + 8 <= N; co += 8) forward_line(row, w + co, y_line + co, 2, C, KD, KH, run, xPlane, xRow, OW, N);
    for (; co + 4 <= N; co += 4) forward_line(row, w + co, y_line + co, 1, C, KD, KH, run, xPlane, xRow, OW, N);
  }
}

// dw[t, co..] += Σ_ow xr[ow·C + t] · dy[ow, co..] for the `count` patch entries t from t0.
INLINE void filter_block(const float *xr, const float *dy, float *dw, const int32_t NV, const int32_t count,
                         int32_t t0, int32_t C, int32_t OW, int32_t N) {
  v128_t acc[TB][2];
  for (int32_t i = 0; i < count; i++) {
    acc[i][0] = wasm_v128_load(dw + (t0 + i) * N);
    acc[i][1] = NV > 1 ? wasm_v128_load(dw + (t0 + i) * N + 4) : acc[i][0];
  }
  for (int32_t ow = 0; ow < OW; ow++) {
    const v128_t d0 = wasm_v128_load(dy + ow * N);
    const v128_t d1 = NV > 1 ? wasm_v128_load(dy + ow * N + 4) : d0;
    const float *x = xr + ow * C + t0;
    for (int32_t i = 0; i < count; i++) {
      const v128_t xs = wasm_v128_load32_splat(x + i);
      acc[i][0] = wasm_f32x4_add(acc[i][0], wasm_f32x4_mul(xs, d0));
      if (NV > 1) acc[i][1] = wasm_f32x4_add(acc[i][1], wasm_f32x4_mul(xs, d1));
    }
  }
  for (int32_t i = 0; i < count; i++) {
    wasm_v128_store(dw + (t0 + i) * N, acc[i][0]);
    if (NV > 1) wasm_v128_store(dw + (t0 + i) * N + 4, acc[i][1]);
  }
}

INLINE void filter_line(const float *row, const float *dy, float *dw, const int32_t NV, int32_t C, int32_t KD,
                        int32_t KH, int32_t run, int32_t xPlane, int32_t xRow, int32_t OW, int32_t N) {
  for (int32_t kd = 0; kd < KD; kd++)
    for (int32_t kh = 0; kh < KH; kh++) {
      const float *xr = row + kd * xPlane + kh * xRow;
      float *dwk = dw + (kd * KH + kh) * run * N;
      int32_t t = 0;
      for (; t + TB <= run; t += TB) filter_block(xr, dy, dwk, NV, TB, t, C, OW, N);
      for (; t + 3 <= run; t += 3) filter_block(xr, dy, dwk, NV, 3, t, C, OW, N);
      for (; t < run; t++) filter_block(xr, dy, dwk, NV, 1, t, C, OW, N);
    }
}

// dw += the filter gradient of lines [lineStart, lineStart + lineCount); N a multiple of 4. The
// caller zeroes dw once, so ranges of lines accumulate into it.
__attribute__((export_name("conv3d_direct_filter"))) void conv3d_direct_filter(
    const float *xp, const float *dy, float *dw, int32_t PD, int32_t PH, int32_t PW, int32_t C, int32_t KD, int32_t KH,
    int32_t KW, int32_t OD, int32_t OH, int32_t OW, int32_t N, int32_t lineStart, int32_t lineCount) {
  const int32_t run = KW * C;
  const int32_t xRow = PW * C, xPlane = PH * xRow;
  for (int32_t line = lineStart; line < lineStart + lineCount; line++) {
    const float *row = first_window_row(xp, line, PD, PH, PW, C, OD, OH);
    const float *dy_line = dy + line * OW * N;
    int32_t co = 0;
    for (; co + 8 <= N; co += 8) filter_line(row, dy_line + co, dw + co, 2, C, KD, KH, run, xPlane, xRow, OW, N);
    for (; co + 4 <= N; co += 4) filter_line(row, dy_line + co, dw + co, 1, C, KD, KH, run, xPlane, xRow, OW, N);
  }
}
