// The rollout kernel's matrix products (included once, by rollout.c): the update rule forward
// and its weight gradients as SIMD128 register tiles, and the small row reductions beside them.
// Every output's sum runs over its terms in order, so a tile's shape changes no result.
#include <wasm_simd128.h>

// acc + a * b: fused where the runtime has relaxed SIMD (this file built with NCA_RELAXED; the
// host picks that build only after WebAssembly.validate accepts it), else a multiply and an add.
#ifdef NCA_RELAXED
#define MADD(acc, a, b) wasm_f32x4_relaxed_madd((a), (b), (acc))
#else
#define MADD(acc, a, b) wasm_f32x4_add((acc), wasm_f32x4_mul((a), (b)))
#endif

// The 4x8 register tile of matmul_at and of matmul's last 8 columns: accumulators c00..c31
// (row, half), B's two vectors b0 and b1 of the current term. Macros, not functions, so that the tile stays in registers.
#define TILE_MADD(x0, x1, x2, x3)  \
  do {                             \
    v128_t x;                      \
    x = wasm_f32x4_splat(x0);      \
    c00 = MADD(c00, x, b0);        \
    c01 = MADD(c01, x, b1);        \
    x = wasm_f32x4_splat(x1);      \
    c10 = MADD(c10, x, b0);        \
    c11 = MADD(c11, x, b1);        \
    x = wasm_f32x4_splat(x2);      \
    c20 = MADD(c20, x, b0);        \
    c21 = MADD(c21, x, b1);        \
    x = wasm_f32x4_splat(x3);      \
    c30 = MADD(c30, x, b0);        \
    c31 = MADD(c31, x, b1);        \
  } while (0)
#define TILE_STORE(o, m)                  \
  do {                                    \
    wasm_v128_store((o), c00);            \
    wasm_v128_store((o) + 4, c01);        \
    wasm_v128_store((o) + (m), c10);      \
    wasm_v128_store((o) + (m) + 4, c11);  \
    wasm_v128_store((o) + 2 * (m), c20);  \
    wasm_v128_store((o) + 2 * (m) + 4, c21); \
    wasm_v128_store((o) + 3 * (m), c30);  \
    wasm_v128_store((o) + 3 * (m) + 4, c31); \
  } while (0)

// C[n][m] = A[n][k] B[k][m] (+ bias) (relu): n a multiple of 4, m of 8. Columns in blocks of 16
// take a 2x16 tile (two broadcasts feed eight multiply-adds, against four in the 4x8 tile: the
// broadcasts compete with the arithmetic for the same ports), the last 8 if any the 4x8 tile.
// Each output's sum runs over k in order in both, so the tile changes no result.
static void matmul(int n, int k, int m, const float *a, const float *b, const float *bias, float *out, int relu) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  int m16 = m & ~15;
  for (int i = 0; i < n; i += 2) {
    const float *a0 = a + i * k, *a1 = a0 + k;
    for (int j = 0; j < m16; j += 16) {
      v128_t l0 = bias ? wasm_v128_load(bias + j) : zero;
      v128_t l1 = bias ? wasm_v128_load(bias + j + 4) : zero;
      v128_t l2 = bias ? wasm_v128_load(bias + j + 8) : zero;
      v128_t l3 = bias ? wasm_v128_load(bias + j + 12) : zero;
      v128_t c00 = l0, c01 = l1, c02 = l2, c03 = l3, c10 = l0, c11 = l1, c12 = l2, c13 = l3;
      for (int q = 0; q < k; q++) {
        const float *bq = b + q * m + j;
        v128_t x0 = wasm_f32x4_splat(a0[q]), x1 = wasm_f32x4_splat(a1[q]), v;
        v = wasm_v128_load(bq);
        c00 = MADD(c00, x0, v);
        c10 = MADD(c10, x1, v);
        v = wasm_v128_load(bq + 4);
        c01 = MADD(c01, x0, v);
        c11 = MADD(c11, x1, v);
        v = wasm_v128_load(bq + 8);
        c02 = MADD(c02, x0, v);
        c12 = MADD(c12, x1, v);
        v = wasm_v128_load(bq + 12);
        c03 = MADD(c03, x0, v);
        c13 = MADD(c13, x1, v);
      }
      if (relu) {
        c00 = wasm_f32x4_max(c00, zero);
        c01 = wasm_f32x4_max(c01, zero);
        c02 = wasm_f32x4_max(c02, zero);
        c03 = wasm_f32x4_max(c03, zero);
        c10 = wasm_f32x4_max(c10, zero);
        c11 = wasm_f32x4_max(c11, zero);
        c12 = wasm_f32x4_max(c12, zero);
        c13 = wasm_f32x4_max(c13, zero);
      }
      float *o = out + i * m + j;
      wasm_v128_store(o, c00);
      wasm_v128_store(o + 4, c01);
      wasm_v128_store(o + 8, c02);
      wasm_v128_store(o + 12, c03);
      wasm_v128_store(o + m, c10);
      wasm_v128_store(o + m + 4, c11);
      wasm_v128_store(o + m + 8, c12);
      wasm_v128_store(o + m + 12, c13);
    }
  }
  for (int i = 0; i < n; i += 4) {
    const float *a0 = a + i * k, *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
    for (int j = m16; j < m; j += 8) {
      v128_t lo = bias ? wasm_v128_load(bias + j) : zero;
      v128_t hi = bias ? wasm_v128_load(bias + j + 4) : zero;
      v128_t c00 = lo, c01 = hi, c10 = lo, c11 = hi, c20 = lo, c21 = hi, c30 = lo, c31 = hi;
      for (int q = 0; q < k; q++) {
        v128_t b0 = wasm_v128_load(b + q * m + j);
        v128_t b1 = wasm_v128_load(b + q * m + j + 4);
        TILE_MADD(a0[q], a1[q], a2[q], a3[q]);
      }
      if (relu) {
        c00 = wasm_f32x4_max(c00, zero);
        c01 = wasm_f32x4_max(c01, zero);
        c10 = wasm_f32x4_max(c10, zero);
        c11 = wasm_f32x4_max(c11, zero);
        c20 = wasm_f32x4_max(c20, zero);
        c21 = wasm_f32x4_max(c21, zero);
        c30 = wasm_f32x4_max(c30, zero);
        c31 = wasm_f32x4_max(c31, zero);
      }
      float *o = out + i * m + j;
      TILE_STORE(o, m);
    }
  }
}

// C[k][m] += A[n][k]^T B[n][m]: the weight gradients, summed over a chunk's rows; k a multiple
// of 4, m of 8.
static void matmul_at(int n, int k, int m, const float *a, const float *b, float *out) {
  for (int i = 0; i < k; i += 4) {
    for (int j = 0; j < m; j += 8) {
      float *o = out + i * m + j;
      v128_t c00 = wasm_v128_load(o), c01 = wasm_v128_load(o + 4);
      v128_t c10 = wasm_v128_load(o + m), c11 = wasm_v128_load(o + m + 4);
      v128_t c20 = wasm_v128_load(o + 2 * m), c21 = wasm_v128_load(o + 2 * m + 4);
      v128_t c30 = wasm_v128_load(o + 3 * m), c31 = wasm_v128_load(o + 3 * m + 4);
      for (int r = 0; r < n; r++) {
        const float *ar = a + r * k + i;
        v128_t b0 = wasm_v128_load(b + r * m + j);
        v128_t b1 = wasm_v128_load(b + r * m + j + 4);
        TILE_MADD(ar[0], ar[1], ar[2], ar[3]);
      }
      TILE_STORE(o, m);
    }
  }
}

// sums[j] += a[r][j] over the rows, in row order (m a multiple of 4).
static void column_sums(int n, int m, const float *a, float *sums) {
  for (int j = 0; j < m; j += 4) {
    v128_t acc = wasm_v128_load(sums + j);
    for (int r = 0; r < n; r++) {
      acc = wasm_f32x4_add(acc, wasm_v128_load(a + r * m + j));
    }
    wasm_v128_store(sums + j, acc);
  }
}

// relu's gradient: dh = 0 where h <= 0, in place, then db1 += dh summed over the rows.
static void relu_backward(int n, int m, const float *h, float *dh, float *db1) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < n * m; i += 4) {
    v128_t on = wasm_f32x4_gt(wasm_v128_load(h + i), zero);
    wasm_v128_store(dh + i, wasm_v128_and(wasm_v128_load(dh + i), on));
  }
  column_sums(n, m, dh, db1);
}
