// The training rollout of one shard, forward and backward, as one wasm kernel: the same math as
// core's trainingStep + batchGradient (docs/design.md §3-4), fused per cell. It computes only what can
// differ from zero: a cell that does not fire keeps its state (u = x), and with pre-post
// masking a cell with no mature neighbour before the update ends the step at zero, so neither
// runs the update rule forward or backward. The rest runs as small matrix products over chunks
// of active cells, with the hidden layer recomputed in the backward pass instead of stored.
//
// Built by scripts/build-wasm.sh (clang --target=wasm32, SIMD128, and a second build with relaxed
// SIMD's fused multiply-add); no libc.
#include <stdint.h>
#include <wasm_simd128.h>

typedef struct {
  int32_t count, height, width, channels, hidden, steps;
  int32_t padding;  // 0 zero, 1 wrap, 2 reflect
  int32_t tanh, prePost, clamp;
  int32_t noMask;       // alive_masking "none": every cell lives (the texture model)
  int32_t filters;      // 3, or 4 with the Laplacian
  int32_t storeHidden;  // keep the forward pass's hidden layer for the backward pass, memory permitting
  int32_t forwardOnly;  // run the steps and the loss only: two state buffers, no history, no gradient
  float threshold;
  float lossScale;      // d(loss)/d(rgba) = lossScale * (x - target)
  float overflowScale;  // d(penalty)/dx = overflowScale * (x - clip(x, -1, 1))
  float outsideScale;   // d(penalty)/dx = outsideScale * x where the target's alpha is 0
  float detailScale;    // d(detail)/d(rgba) = detailScale * sum over 4-neighbours in the grid of (e - e_neighbour), e = x - target
  float bound;          // the texture model's clip b (docs/design.md §3.6), or 0 for none
  const float *kernel;  // [3][3][4]: row, column, filter (identity, x-gradient, y-gradient, Laplacian)
  const float *w1, *b1, *w2, *b2;  // [FC][hidden] (row f*C + c), [hidden], [hidden][C], [C]
  const float *finalGrad;  // [count][cells][C]: d(loss)/d(final state) from the host, or 0 for the built-in loss
  const float *states;  // [count][cells][C] starting states
  const uint8_t *fire;  // [steps][count][cells]
  const float *target;  // [cells][4]
  float *dw1, *db1, *dw2, *db2;  // gradients, shaped as the parameters
  float *losses;        // [count]
  float *final;         // [count][cells][C]
  uint8_t *scratch;     // nca_scratch_bytes(...) bytes, 16-byte aligned
} Task;

// The host packs Task by TASK_FIELDS (src/rolloutLayout.ts): scripts/build-wasm.sh writes an
// assertion of every field's offset and the size from that table and compiles it here, so a
// struct that drifts from its table does not build.
#ifdef NCA_LAYOUT_ASSERTS
#include NCA_LAYOUT_ASSERTS
#endif

enum { CHUNK = 64 };

// Milliseconds from the host (performance.now), for the per-pass profile.
__attribute__((import_module("env"), import_name("now"))) double now(void);

enum { PASS_MASKS, PASS_PERCEIVE, PASS_UPDATE_FORWARD, PASS_UPDATE_BACKWARD, PASS_ADJOINT, PASS_TOTAL, PASSES };
static double passMs[PASSES];
#define TIMED(pass, statement)      \
  do {                              \
    double started_ = now();        \
    statement;                      \
    passMs[pass] += now() - started_; \
  } while (0)

// Milliseconds per pass since the last call (masks, perception, update rule forward, update
// rule backward, perception adjoint, whole rollouts); the call resets them.
__attribute__((export_name("nca_profile"))) double *nca_profile(void) {
  static double out[PASSES];
  for (int i = 0; i < PASSES; i++) {
    out[i] = passMs[i];
    passMs[i] = 0;
  }
  return out;
}

// Cell-steps that ran the update rule (fired, and alive where masks are taken before the
// update), summed over rollouts: what the kernel computes, against what a dense step would.
static double activeCellSteps;

// The cell-steps computed since the last call, which resets the count.
__attribute__((export_name("nca_active_cell_steps"))) double nca_active_cell_steps(void) {
  double out = activeCellSteps;
  activeCellSteps = 0;
  return out;
}

// The matrix products of the update rule and its gradient, in SIMD register tiles.
#include "matmul.h"

static int round8(int n) { return (n + 7) & ~7; }

extern unsigned char __heap_base;

// One arena after the static data, grown on demand; the caller lays out its buffers in it.
__attribute__((export_name("nca_arena"))) uint8_t *nca_arena(uint32_t bytes) {
  uintptr_t base = ((uintptr_t)&__heap_base + 15) & ~(uintptr_t)15;
  uintptr_t need = base + bytes;
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (need > have) {
    uintptr_t pages = (need - have + 65535u) / 65536u;
    if (__builtin_wasm_memory_grow(0, pages) == (uintptr_t)-1) {
      return 0;
    }
  }
  return (uint8_t *)base;
}

typedef struct {
  int kp, hp, cp, cells;
  float *w1p, *w1t, *w2p, *w2t, *b1p, *b2p;  // padded weights and their transposes
  float *dw1p, *dw2p, *db1p, *db2p;
  float *p, *h, *z, *dz, *dh, *dp;  // one chunk of rows
  int32_t *rows;
  uint8_t *pre, *mature, *across;  // [cells] each: alive masks and their row-wise pass
  float *history;  // [steps + 1][cells][C] of one sample
  uint8_t *masks;  // [steps][cells] of one sample
  float *g, *d;    // [cells][C] gradient buffers
  int32_t *active; // [cells]: one step's active cells, in row order
  int32_t *rowOf;  // [steps][cells]: where the forward pass stored a cell's hidden layer
  uint8_t *stored; // [steps]: whether it did, that step
  float *hidden;   // grows into the memory after the scratch: stored rows [rows][hp + cp], h then z
  uint32_t hiddenRows, hiddenCapacity;
} Work;

static uint32_t align16(uint32_t n) { return (n + 15u) & ~15u; }

// Lays out Work in `at` (or only sums its size when `at` is null). A forward-only rollout keeps
// one step's slots (`steps` 1): it alternates between two state buffers.
static uint32_t layout(Work *wk, uint8_t *at, int cells, int c, int filters, int hidden, int steps) {
  int kp = round8(filters * c), hp = round8(hidden), cp = round8(c);
  uint32_t off = 0;
#define TAKE(field, type, n)                                   \
  do {                                                         \
    if (at) wk->field = (type *)(at + off);                    \
    off += align16((uint32_t)(n) * (uint32_t)sizeof(type));    \
  } while (0)
  TAKE(w1p, float, kp * hp);
  TAKE(w1t, float, hp * kp);
  TAKE(w2p, float, hp * cp);
  TAKE(w2t, float, cp * hp);
  TAKE(b1p, float, hp);
  TAKE(b2p, float, cp);
  TAKE(dw1p, float, kp * hp);
  TAKE(dw2p, float, hp * cp);
  TAKE(db1p, float, hp);
  TAKE(db2p, float, cp);
  TAKE(p, float, CHUNK * kp);
  TAKE(h, float, CHUNK * hp);
  TAKE(z, float, CHUNK * cp);
  TAKE(dz, float, CHUNK * cp);
  TAKE(dh, float, CHUNK * hp);
  TAKE(dp, float, CHUNK * kp);
  TAKE(rows, int32_t, CHUNK);
  TAKE(pre, uint8_t, cells);
  TAKE(mature, uint8_t, cells);
  TAKE(across, uint8_t, cells);
  TAKE(history, float, (steps + 1) * cells * c);
  TAKE(masks, uint8_t, steps * cells);
  TAKE(g, float, cells * c);
  TAKE(d, float, cells * c);
  TAKE(active, int32_t, cells);
  TAKE(rowOf, int32_t, steps * cells);
  TAKE(stored, uint8_t, steps);
#undef TAKE
  if (at) {
    wk->hidden = (float *)(at + off);
    wk->hiddenRows = 0;
    wk->hiddenCapacity = 0;
    wk->kp = kp;
    wk->hp = hp;
    wk->cp = cp;
    wk->cells = cells;
  }
  return off;
}

// The slots a rollout keeps: every step's for the backward pass, one for a forward-only run.
static int slots(int steps, int forwardOnly) { return forwardOnly ? 1 : steps; }

__attribute__((export_name("nca_scratch_bytes"))) uint32_t nca_scratch_bytes(int cells, int c, int filters, int hidden, int steps, int forwardOnly) {
  Work wk;
  return layout(&wk, 0, cells, c, filters, hidden, slots(steps, forwardOnly));
}

// The texture model's clip to [-b, b]; b = 0 means none.
static float bounded(float v, float b) {
  return b > 0.0f ? (v < -b ? -b : v > b ? b : v) : v;
}

// Whether the clip to [-b, b] lets a gradient through at v (the reference's clipByValue: inclusive).
static int within(float v, float b) {
  return b <= 0.0f || (v >= -b && v <= b);
}

// exp(x) for x <= 88: 2^n e^r with |r| <= ln2 / 2 and a degree-6 polynomial (error ~1e-7).
static float exp_f(float x) {
  if (x < -87.0f) {
    return 0.0f;
  }
  float n = __builtin_floorf(x * 1.44269504f + 0.5f);
  float r = x - n * 0.693145752f - n * 1.42860677e-6f;
  float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720))))));
  union { float f; int32_t i; } scale = { .i = ((int32_t)n + 127) << 23 };
  return p * scale.f;
}

static float tanh_f(float z) {
  float a = z < 0 ? -z : z;
  if (a > 9.0f) {
    return z < 0 ? -1.0f : 1.0f;
  }
  float t = 1.0f - 2.0f / (exp_f(2.0f * a) + 1.0f);
  return z < 0 ? -t : t;
}

// Where a row or column one cell outside the grid reads from (docs/design.md §3.1's padding), or -1.
static int border(int i, int n, int padding) {
  if (i >= 0 && i < n) {
    return i;
  }
  if (padding == 0) {
    return -1;
  }
  if (padding == 1) {
    return i < 0 ? n - 1 : 0;
  }
  return i < 0 ? 1 : n - 2;
}

// The 3x3 neighbourhood of cell (y, x): cell indices, -1 where zero padding reads nothing.
static void neighbours(int y, int x, int height, int width, int padding, int out[9]) {
  for (int dy = 0; dy < 3; dy++) {
    int yy = border(y + dy - 1, height, padding);
    for (int dx = 0; dx < 3; dx++) {
      int xx = border(x + dx - 1, width, padding);
      out[dy * 3 + dx] = (yy < 0 || xx < 0) ? -1 : yy * width + xx;
    }
  }
}

// docs/design.md §3.4: 1 where the 3x3 max of alpha exceeds the threshold. The neighbourhood is the
// product of a row and a column range, so the max is taken along rows, then along columns.
static void alive(const Task *t, const Work *wk, const float *state, uint8_t *out) {
  int c = t->channels, h = t->height, w = t->width;
  uint8_t *mature = wk->mature, *across = wk->across;
  for (int cell = 0; cell < h * w; cell++) {
    mature[cell] = state[cell * c + 3] > t->threshold;
  }
  int left = border(-1, w, t->padding), right = border(w, w, t->padding);
  for (int y = 0; y < h; y++) {
    const uint8_t *row = mature + y * w;
    uint8_t *to = across + y * w;
    for (int x = 1; x < w - 1; x++) {
      to[x] = row[x - 1] | row[x] | row[x + 1];
    }
    to[0] = row[0] | row[1] | (left >= 0 ? row[left] : 0);
    to[w - 1] = row[w - 2] | row[w - 1] | (right >= 0 ? row[right] : 0);
  }
  for (int y = 0; y < h; y++) {
    int up = y > 0 ? y - 1 : border(-1, h, t->padding);
    int down = y < h - 1 ? y + 1 : border(h, h, t->padding);
    const uint8_t *mid = across + y * w;
    const uint8_t *above = up >= 0 ? across + up * w : 0;
    const uint8_t *below = down >= 0 ? across + down * w : 0;
    uint8_t *to = out + y * w;
    for (int x = 0; x < w; x++) {
      to[x] = mid[x] | (above ? above[x] : 0) | (below ? below[x] : 0);
    }
  }
}

// Perception of a chunk's rows into wk->p ([rows][kp], column f*C + c), zero rows after n.
static void perceive_rows(const Task *t, const Work *wk, const float *state, int n) {
  int c = t->channels, kp = wk->kp;
  for (int r = 0; r < CHUNK && r < ((n + 3) & ~3); r++) {
    float *p = wk->p + r * kp;
    for (int q = 0; q < kp; q++) {
      p[q] = 0.0f;
    }
    if (r >= n) {
      continue;
    }
    int cell = wk->rows[r];
    int nb[9];
    neighbours(cell / t->width, cell % t->width, t->height, t->width, t->padding, nb);
    for (int k = 0; k < 9; k++) {
      if (nb[k] < 0) {
        continue;
      }
      const float *v = state + nb[k] * c;
      float k0 = t->kernel[k * 4], k1 = t->kernel[k * 4 + 1], k2 = t->kernel[k * 4 + 2], k3 = t->kernel[k * 4 + 3];
      for (int ch = 0; ch < c; ch++) {
        p[ch] += k0 * v[ch];
        p[c + ch] += k1 * v[ch];
        p[2 * c + ch] += k2 * v[ch];
      }
      if (t->filters == 4) {
        for (int ch = 0; ch < c; ch++) {
          p[3 * c + ch] += k3 * v[ch];
        }
      }
    }
    if (t->bound > 0.0f) {
      for (int q = 0; q < t->filters * c; q++) {
        p[q] = bounded(p[q], t->bound);
      }
    }
  }
}

// The update rule on a chunk: wk->h = relu(P W1 + b1) (capped at b), wk->z = H W2 + b2 (before
// any tanh and clip).
static void update_rows(const Task *t, const Work *wk, int n) {
  int rows = (n + 3) & ~3;
  matmul(rows, wk->kp, wk->hp, wk->p, wk->w1p, wk->b1p, wk->h, 1);
  if (t->bound > 0.0f) {
    for (int i = 0; i < rows * wk->hp; i++) {
      wk->h[i] = wk->h[i] > t->bound ? t->bound : wk->h[i];
    }
  }
  matmul(rows, wk->hp, wk->cp, wk->h, wk->w2p, wk->b2p, wk->z, 0);
}

// The update a row applies: tanh if the config says so, then the clip.
static float update_of(const Task *t, float z) {
  return bounded(t->tanh ? tanh_f(z) : z, t->bound);
}

// Room for `rows` more stored hidden rows, growing the memory when needed; 0 when it cannot.
static int reserve_hidden(Work *wk, uint32_t rows) {
  uint32_t need = wk->hiddenRows + rows;
  if (need <= wk->hiddenCapacity) {
    return 1;
  }
  uint32_t stride = (uint32_t)(wk->hp + wk->cp);
  if ((uint64_t)(uintptr_t)wk->hidden + (uint64_t)need * stride * 4u > 0xF0000000u) {
    return 0;
  }
  uintptr_t end = (uintptr_t)(wk->hidden + (uint64_t)need * stride);
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    // Grows by at least a quarter, so a rollout grows its memory a few times, not every step.
    uintptr_t pages = (end - have + 65535u) / 65536u;
    uintptr_t quarter = have / 65536u / 4u;
    if (__builtin_wasm_memory_grow(0, pages > quarter ? pages : quarter) == (uintptr_t)-1 &&
        __builtin_wasm_memory_grow(0, pages) == (uintptr_t)-1) {
      return 0;
    }
  }
  wk->hiddenCapacity = (uint32_t)(((uintptr_t)__builtin_wasm_memory_size(0) * 65536u - (uintptr_t)wk->hidden) / 4u / stride);
  return 1;
}

static void forward(const Task *t, Work *wk, const uint8_t *fire0, int sample) {
  int c = t->channels, cells = wk->cells, hp = wk->hp;
  wk->hiddenRows = 0;
  for (int s = 0; s < t->steps; s++) {
    // A forward-only run alternates between two buffers and reuses one step's masks.
    int in = t->forwardOnly ? s & 1 : s, out = t->forwardOnly ? (s + 1) & 1 : s + 1, slot = t->forwardOnly ? 0 : s;
    const float *x = wk->history + (int64_t)in * cells * c;
    float *u = wk->history + (int64_t)out * cells * c;
    const uint8_t *fire = fire0 + ((int64_t)s * t->count + sample) * cells;
    uint8_t *m = wk->masks + slot * cells;
    int32_t *rowOf = wk->rowOf + slot * cells;
    for (int i = 0; i < cells * c; i++) {
      u[i] = x[i];
    }
    if (t->prePost) {
      TIMED(PASS_MASKS, alive(t, wk, x, wk->pre));
    }
    int active = 0;
    for (int cell = 0; cell < cells; cell++) {
      if (fire[cell] && (!t->prePost || wk->pre[cell])) {
        wk->active[active++] = cell;
      }
    }
    activeCellSteps += active;
    int store = !t->forwardOnly && t->storeHidden && reserve_hidden(wk, (uint32_t)active);
    wk->stored[slot] = (uint8_t)store;
    for (int first = 0; first < active; first += CHUNK) {
      int n = active - first < CHUNK ? active - first : CHUNK;
      for (int r = 0; r < n; r++) {
        wk->rows[r] = wk->active[first + r];
      }
      TIMED(PASS_PERCEIVE, perceive_rows(t, wk, x, n));
      TIMED(PASS_UPDATE_FORWARD, update_rows(t, wk, n));
      for (int r = 0; r < n; r++) {
        float *ur = u + wk->rows[r] * c;
        const float *z = wk->z + r * wk->cp;
        for (int ch = 0; ch < c; ch++) {
          ur[ch] += update_of(t, z[ch]);
        }
        if (store) {
          float *kept = wk->hidden + (uint64_t)wk->hiddenRows * (hp + wk->cp);
          const float *h = wk->h + r * hp;
          for (int j = 0; j < hp; j++) {
            kept[j] = h[j];
          }
          for (int ch = 0; ch < wk->cp; ch++) {
            kept[hp + ch] = z[ch];
          }
          rowOf[wk->rows[r]] = (int32_t)wk->hiddenRows++;
        }
      }
    }
    double started = now();
    if (t->noMask) {
      for (int cell = 0; cell < cells; cell++) {
        m[cell] = 1;
      }
    } else {
      alive(t, wk, u, m);
    }
    for (int cell = 0; cell < cells; cell++) {
      if (t->prePost) {
        m[cell] &= wk->pre[cell];
      }
      float keep = m[cell] ? 1.0f : 0.0f;
      float *ur = u + cell * c;
      for (int ch = 0; ch < c; ch++) {
        // Multiplied, not assigned: a NaN stays NaN, as in the reference.
        ur[ch] = bounded(ur[ch] * keep, t->bound);
      }
      if (t->clamp) {
        for (int ch = 0; ch < 4; ch++) {
          ur[ch] = ur[ch] < 0.0f ? 0.0f : ur[ch] > 1.0f ? 1.0f : ur[ch];
        }
      }
    }
    passMs[PASS_MASKS] += now() - started;
  }
}

// The RGBA error of a cell's channel (ch < 4) in the final state.
static inline float rgba_error(const Task *t, const float *last, int cell, int ch) {
  return last[cell * t->channels + ch] - t->target[cell * 4 + ch];
}

// Adds the detail term's gradient (loss.ts detailTerm) to g: for each cell and RGBA channel,
// detailScale times the sum over its 4-neighbours inside the grid of (its error - theirs).
static void detail_gradient(const Task *t, const float *last, float *g) {
  int w = t->width, h = t->height, c = t->channels;
  for (int y = 0; y < h; y++) {
    for (int x = 0; x < w; x++) {
      int cell = y * w + x;
      for (int ch = 0; ch < 4; ch++) {
        float e = rgba_error(t, last, cell, ch);
        float sum = 0.0f;
        if (x > 0) sum += e - rgba_error(t, last, cell - 1, ch);
        if (x < w - 1) sum += e - rgba_error(t, last, cell + 1, ch);
        if (y > 0) sum += e - rgba_error(t, last, cell - w, ch);
        if (y < h - 1) sum += e - rgba_error(t, last, cell + w, ch);
        g[cell * c + ch] += t->detailScale * sum;
      }
    }
  }
}

// One step backward: wk->g holds d(loss)/d(x_{s+1}); leaves d(loss)/d(x_s) in wk->d.
static void backward_step(const Task *t, Work *wk, const uint8_t *fire, int s) {
  int c = t->channels, cells = wk->cells, cp = wk->cp, hp = wk->hp, kp = wk->kp;
  const float *x = wk->history + s * cells * c;
  const uint8_t *m = wk->masks + s * cells;
  float *g = wk->g, *d = wk->d;
  for (int i = 0; i < cells * c; i++) {
    d[i] = 0.0f;
  }
  // Cells that keep their state: u = x, so du = g (where clamping lets it through).
  for (int cell = 0; cell < cells; cell++) {
    if (!m[cell] || fire[cell]) {
      continue;
    }
    for (int ch = 0; ch < c; ch++) {
      float v = x[cell * c + ch];
      int pass = within(v, t->bound) && (!t->clamp || ch >= 4 || (v >= 0.0f && v <= 1.0f));
      d[cell * c + ch] = pass ? g[cell * c + ch] : 0.0f;
    }
  }
  int n = 0;
  for (int cell = 0; cell <= cells; cell++) {
    int flush = cell == cells ? n > 0 : n == CHUNK;
    if (flush) {
      int rows = (n + 3) & ~3;
      TIMED(PASS_PERCEIVE, perceive_rows(t, wk, x, n));
      double started = now();
      if (wk->stored[s]) {
        // The forward pass's hidden rows and outputs (pad rows, whose dz is zero, get zeros).
        const int32_t *rowOf = wk->rowOf + s * cells;
        for (int r = 0; r < rows; r++) {
          const float *kept = r < n ? wk->hidden + (uint64_t)rowOf[wk->rows[r]] * (hp + cp) : 0;
          float *h = wk->h + r * hp;
          float *z = wk->z + r * cp;
          for (int j = 0; j < hp; j++) {
            h[j] = kept ? kept[j] : 0.0f;
          }
          for (int ch = 0; ch < cp; ch++) {
            z[ch] = kept ? kept[hp + ch] : 0.0f;
          }
        }
      } else {
        update_rows(t, wk, n);
      }
      for (int r = 0; r < rows; r++) {
        float *dz = wk->dz + r * cp;
        for (int ch = 0; ch < cp; ch++) {
          dz[ch] = 0.0f;
        }
        if (r >= n) {
          continue;
        }
        int at = wk->rows[r] * c;
        const float *z = wk->z + r * cp;
        for (int ch = 0; ch < c; ch++) {
          float raw = t->tanh ? tanh_f(z[ch]) : z[ch];
          float u = x[at + ch] + bounded(raw, t->bound);
          int pass = within(u, t->bound) && (!t->clamp || ch >= 4 || (u >= 0.0f && u <= 1.0f));
          float du = pass && within(raw, t->bound) ? g[at + ch] : 0.0f;
          d[at + ch] += pass ? g[at + ch] : 0.0f;
          dz[ch] = t->tanh ? du * (1.0f - raw * raw) : du;
        }
      }
      matmul_at(rows, hp, cp, wk->h, wk->dz, wk->dw2p);
      matmul(rows, cp, hp, wk->dz, wk->w2t, 0, wk->dh, 0);
      if (t->bound > 0.0f) {
        // The cap: a unit held at b passes nothing back (h is stored capped, so h == b there).
        for (int i = 0; i < rows * hp; i++) {
          wk->dh[i] = wk->h[i] >= t->bound ? 0.0f : wk->dh[i];
        }
      }
      relu_backward(rows, hp, wk->h, wk->dh, wk->db1p);
      column_sums(rows, cp, wk->dz, wk->db2p);
      matmul_at(rows, kp, hp, wk->p, wk->dh, wk->dw1p);
      matmul(rows, hp, kp, wk->dh, wk->w1t, 0, wk->dp, 0);
      if (t->bound > 0.0f) {
        // The perception clip: p is stored clipped, so |p| == b where it was cut.
        for (int r = 0; r < n; r++) {
          for (int q = 0; q < kp; q++) {
            float v = wk->p[r * kp + q];
            wk->dp[r * kp + q] = (v >= t->bound || v <= -t->bound) ? 0.0f : wk->dp[r * kp + q];
          }
        }
      }
      passMs[PASS_UPDATE_BACKWARD] += now() - started;
      started = now();
      // The adjoint of perception: each row's dp spread back onto its neighbourhood.
      for (int r = 0; r < n; r++) {
        int cell = wk->rows[r];
        const float *dp = wk->dp + r * kp;
        int nb[9];
        neighbours(cell / t->width, cell % t->width, t->height, t->width, t->padding, nb);
        for (int k = 0; k < 9; k++) {
          if (nb[k] < 0) {
            continue;
          }
          float *dv = d + nb[k] * c;
          float k0 = t->kernel[k * 4], k1 = t->kernel[k * 4 + 1], k2 = t->kernel[k * 4 + 2], k3 = t->kernel[k * 4 + 3];
          for (int ch = 0; ch < c; ch++) {
            dv[ch] += k0 * dp[ch] + k1 * dp[c + ch] + k2 * dp[2 * c + ch];
          }
          if (t->filters == 4) {
            for (int ch = 0; ch < c; ch++) {
              dv[ch] += k3 * dp[3 * c + ch];
            }
          }
        }
      }
      passMs[PASS_ADJOINT] += now() - started;
      n = 0;
    }
    if (cell < cells && m[cell] && fire[cell]) {
      wk->rows[n++] = cell;
    }
  }
}

__attribute__((export_name("nca_rollout"))) void nca_rollout(const Task *t) {
  double started = now();
  int c = t->channels, hidden = t->hidden, cells = t->height * t->width;
  Work wk;
  int fc = t->filters * c;
  layout(&wk, t->scratch, cells, c, t->filters, hidden, slots(t->steps, t->forwardOnly));
  int kp = wk.kp, hp = wk.hp, cp = wk.cp;
  // Padded copies of the weights (zero rows and columns change no sum) and their transposes.
  for (int i = 0; i < kp * hp; i++) wk.w1p[i] = 0.0f, wk.w1t[i] = 0.0f, wk.dw1p[i] = 0.0f;
  for (int i = 0; i < hp * cp; i++) wk.w2p[i] = 0.0f, wk.w2t[i] = 0.0f, wk.dw2p[i] = 0.0f;
  for (int i = 0; i < hp; i++) wk.b1p[i] = i < hidden ? t->b1[i] : 0.0f, wk.db1p[i] = 0.0f;
  for (int i = 0; i < cp; i++) wk.b2p[i] = i < c ? t->b2[i] : 0.0f, wk.db2p[i] = 0.0f;
  for (int q = 0; q < fc; q++) {
    for (int j = 0; j < hidden; j++) {
      wk.w1p[q * hp + j] = t->w1[q * hidden + j];
      wk.w1t[j * kp + q] = t->w1[q * hidden + j];
    }
  }
  for (int j = 0; j < hidden; j++) {
    for (int ch = 0; ch < c; ch++) {
      wk.w2p[j * cp + ch] = t->w2[j * c + ch];
      wk.w2t[ch * hp + j] = t->w2[j * c + ch];
    }
  }
  for (int sample = 0; sample < t->count; sample++) {
    const float *start = t->states + (int64_t)sample * cells * c;
    for (int i = 0; i < cells * c; i++) {
      wk.history[i] = start[i];
    }
    forward(t, &wk, t->fire, sample);
    const float *last = wk.history + (int64_t)(t->forwardOnly ? t->steps & 1 : t->steps) * cells * c;
    float *final = t->final + (int64_t)sample * cells * c;
    double sum = 0.0;
    const float *given = t->finalGrad ? t->finalGrad + (int64_t)sample * cells * c : 0;
    for (int cell = 0; cell < cells; cell++) {
      for (int ch = 0; ch < c; ch++) {
        float v = last[cell * c + ch];
        final[cell * c + ch] = v;
        if (given) {
          // The host's loss (a texture's): its gradient enters the backward pass as it is.
          wk.g[cell * c + ch] = given[cell * c + ch];
          continue;
        }
        float clip = v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v;
        float grad = t->overflowScale * (v - clip);
        if (t->target[cell * 4 + 3] == 0.0f) {
          grad += t->outsideScale * v;
        }
        if (ch < 4) {
          float e = v - t->target[cell * 4 + ch];
          sum += (double)e * e;
          grad += t->lossScale * e;
        }
        wk.g[cell * c + ch] = grad;
      }
    }
    t->losses[sample] = (float)(sum / (cells * 4.0));
    if (!given && t->detailScale != 0.0f) {
      detail_gradient(t, last, wk.g);
    }
    for (int s = t->forwardOnly ? -1 : t->steps - 1; s >= 0; s--) {
      backward_step(t, &wk, t->fire + ((int64_t)s * t->count + sample) * cells, s);
      float *swap = wk.g;
      wk.g = wk.d;
      wk.d = swap;
    }
  }
  for (int q = 0; q < fc; q++) {
    for (int j = 0; j < hidden; j++) {
      t->dw1[q * hidden + j] = wk.dw1p[q * hp + j];
    }
  }
  for (int j = 0; j < hidden; j++) {
    t->db1[j] = wk.db1p[j];
    for (int ch = 0; ch < c; ch++) {
      t->dw2[j * c + ch] = wk.dw2p[j * cp + ch];
    }
  }
  for (int ch = 0; ch < c; ch++) {
    t->db2[ch] = wk.db2p[ch];
  }
  passMs[PASS_TOTAL] += now() - started;
}
