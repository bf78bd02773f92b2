// The training rollout of a batch, forward and backward, as WGSL compute shaders: the same math
// as core's trainingStep + batchGradient (docs/design.md §3-4) and as the wasm kernel (rollout.c), one
// invocation per cell. The forward pass keeps every step's state on the device; the backward pass
// recomputes the hidden layer per cell, writes each active cell's rows (perception, hidden layer
// and their gradients), spreads the perception gradient back by gathering from the neighbours,
// and reduces the weight gradients as 4x4-blocked products over 256-row chunks into per-chunk
// partial sums (each owned by one invocation: no float atomics), which one last pass adds up.
// Cells that cannot change (not fired, or with pre-post masking no mature neighbour) skip the
// update rule, and tiles of rows without an active cell skip the reduction.
//
// Everything works on vec4s: a state holds its channels in groups of four (zero-padded, and zero
// they stay), and the weights are laid out so that each hidden unit reads its row of W1 and W2
// as vec4s. One source for Dawn in Node and navigator.gpu in a browser; only the channel count,
// the hidden width and the filter count are substituted (they size the per-invocation arrays).
// The texture model's clip (docs/design.md §3.6) passes a gradient where |v| <= b, as tfjs's
// clipByValue does; the perception cut and the hidden cap block it at |v| == b instead, because
// their kept values cannot tell a cut from an equal one (the wasm kernel does the same).

import { PRODUCT_FIELDS, quads, SHAPE_FIELDS, STEP_FIELDS, wgslStruct, workRow } from '../rolloutLayout.ts';

/** Invocations per workgroup of the per-cell passes, and rows per tile of the reduction. */
export const CELLS_PER_WORKGROUP = 64;
/** Rows of work one reduction workgroup adds into its partial sum. */
export const ROWS_PER_CHUNK = 256;

/**
 * The shader for a channel count, hidden width and filter count: they size the per-invocation
 * arrays and the row of work; the uniform blocks come from rolloutLayout's tables.
 */
export function rolloutShader(channels: number, hidden: number, filters = 3): string {
  const row = workRow(channels, hidden, filters);
  return `const C4: u32 = ${quads(channels)}u;
const HIDDEN: u32 = ${hidden}u;
// Perception filters: identity, x- and y-gradient, and the texture model's Laplacian where it has one.
const FILTERS: u32 = ${filters}u;
// vec4 offsets of a row's parts in work (rolloutLayout's workRow): [P 1], dH, [H 1], dZ, dP.
const ROW_DH: u32 = ${row.dH}u;
const ROW_H: u32 = ${row.h}u;
const ROW_DZ: u32 = ${row.dZ}u;
const ROW_DP: u32 = ${row.dP}u;
const ROW: u32 = ${row.length}u;
${wgslStruct('Shape', SHAPE_FIELDS)}
${wgslStruct('Step', STEP_FIELDS)}
// out[4 i + e][j] += sum over rows of A[row][i][e] B[row][j], in vec4s of work.
${wgslStruct('Product', PRODUCT_FIELDS)}
${SOURCE}`;
}

const SOURCE = /* wgsl */ `
const K4: u32 = FILTERS * C4;
const H4: u32 = (HIDDEN + 3u) / 4u;
const TILE_ROWS: u32 = ${CELLS_PER_WORKGROUP}u;
const TILES_PER_CHUNK: u32 = ${ROWS_PER_CHUNK / CELLS_PER_WORKGROUP}u;
// vec4 offsets into params: the nine taps (identity, x-gradient, y-gradient, Laplacian or 0), then W1 by
// hidden unit [HIDDEN][K4], b1 [H4], W2 by hidden unit [HIDDEN][C4], b2 [C4].
const W1: u32 = 9u;
const B1: u32 = W1 + HIDDEN * K4;
const W2: u32 = B1 + H4;
const B2: u32 = W2 + HIDDEN * C4;


@group(0) @binding(0) var<uniform> shape: Shape;
@group(0) @binding(1) var<storage, read> params: array<vec4f>;
@group(0) @binding(2) var<uniform> step: Step;
@group(0) @binding(3) var<storage, read> xIn: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> preOut: array<u32>;
@group(0) @binding(5) var<storage, read> preIn: array<u32>;
@group(0) @binding(6) var<storage, read> fire: array<u32>;
@group(0) @binding(7) var<storage, read_write> uOut: array<vec4f>;
@group(0) @binding(8) var<storage, read> uIn: array<vec4f>;
@group(0) @binding(9) var<storage, read_write> xOut: array<vec4f>;
@group(0) @binding(10) var<storage, read_write> maskOut: array<u32>;
@group(0) @binding(11) var<storage, read> maskIn: array<u32>;
@group(0) @binding(12) var<storage, read> targetRgba: array<vec4f>;
@group(0) @binding(13) var<storage, read_write> gOut: array<vec4f>;
@group(0) @binding(14) var<storage, read> gIn: array<vec4f>;
@group(0) @binding(15) var<storage, read_write> dOut: array<vec4f>;
@group(0) @binding(16) var<storage, read_write> work: array<vec4f>;
@group(0) @binding(17) var<storage, read> workIn: array<vec4f>;
@group(0) @binding(18) var<storage, read_write> flags: array<u32>;
@group(0) @binding(19) var<storage, read> flagsIn: array<u32>;
@group(0) @binding(20) var<uniform> product: Product;
@group(0) @binding(21) var<storage, read_write> partials: array<vec4f>;
@group(0) @binding(22) var<storage, read> partialsIn: array<vec4f>;
@group(0) @binding(23) var<storage, read_write> gradsOut: array<vec4f>;

// Where a row or column one cell outside the grid reads from (docs/design.md §3.1's padding), or -1.
fn border(i: i32, n: i32) -> i32 {
  if (i >= 0 && i < n) { return i; }
  if (shape.padding == 0u) { return -1; }
  if (shape.padding == 1u) { return select(0, n - 1, i < 0); }
  return select(n - 2, 1, i < 0);
}

// Cell index (within its sample) of neighbour k (row-major 3x3) of cell, or -1.
fn neighbour(cell: u32, k: u32) -> i32 {
  let w = i32(shape.width);
  let yy = border(i32(cell / shape.width) + i32(k / 3u) - 1, i32(shape.height));
  let xx = border(i32(cell % shape.width) + i32(k % 3u) - 1, w);
  if (yy < 0 || xx < 0) { return -1; }
  return yy * w + xx;
}

fn firedAt(i: u32) -> bool {
  let at = step.s * shape.n + i;
  return ((fire[at >> 2u] >> ((at & 3u) * 8u)) & 0xffu) != 0u;
}

// The texture model's clip to [-b, b] (docs/design.md §3.6); b = 0 means none.
fn bounded(v: vec4f) -> vec4f {
  if (shape.bound <= 0.0) { return v; }
  return clip(v, -shape.bound, shape.bound);
}

// Where that clip lets a gradient through (the reference's clipByValue: inclusive).
fn within(v: vec4f) -> vec4<bool> {
  if (shape.bound <= 0.0) { return vec4<bool>(true); }
  return (v >= vec4f(-shape.bound)) & (v <= vec4f(shape.bound));
}

fn tanhOf(z: vec4f) -> vec4f {
  let a = min(abs(z), vec4f(9.0));
  let t = 1.0 - 2.0 / (exp(2.0 * a) + 1.0);
  return select(t, -t, z < vec4f(0.0));
}

// The update's output before the clip: tanh(z) or z.
fn squash(z: vec4f) -> vec4f {
  return select(z, tanhOf(z), shape.tanhOn != 0u);
}

// Clamped to [lo, hi] with a NaN kept NaN (WGSL's clamp may not).
fn clip(v: vec4f, lo: f32, hi: f32) -> vec4f {
  return select(select(v, vec4f(hi), v > vec4f(hi)), vec4f(lo), v < vec4f(lo));
}

// Where the gradient passes the state's clips: the bound's, and the RGBA clamp outside [0, 1] in the first group.
fn passes(c4: u32, u: vec4f) -> vec4<bool> {
  if (shape.clampOn == 0u || c4 > 0u) { return within(u); }
  return within(u) & (u >= vec4f(0.0)) & (u <= vec4f(1.0));
}

fn b1(j: u32) -> f32 {
  return params[B1 + j / 4u][j % 4u];
}

var<private> p: array<vec4f, K4>;
var<private> z: array<vec4f, C4>;

// Perception of cell i of state xIn into p ([filter][C4]), as docs/design.md §3.1, clipped to the bound (§3.6).
fn perceive(i: u32) {
  let base = (i / shape.cells) * shape.cells;
  let cell = i % shape.cells;
  for (var q = 0u; q < K4; q++) { p[q] = vec4f(0.0); }
  for (var k = 0u; k < 9u; k++) {
    let nb = neighbour(cell, k);
    if (nb < 0) { continue; }
    let at = (base + u32(nb)) * C4;
    let tap = params[k];
    for (var c4 = 0u; c4 < C4; c4++) {
      let v = xIn[at + c4];
      p[c4] += tap.x * v;
      p[C4 + c4] += tap.y * v;
      p[2u * C4 + c4] += tap.z * v;
      if (FILTERS == 4u) { p[3u * C4 + c4] += tap.w * v; }
    }
  }
  for (var q = 0u; q < K4; q++) { p[q] = bounded(p[q]); }
}

// One hidden unit from p: relu(b1[j] + p . W1[:, j]), capped at the bound where there is one.
fn hiddenUnit(j: u32) -> f32 {
  var acc = b1(j);
  let row = W1 + j * K4;
  for (var q = 0u; q < K4; q++) { acc += dot(p[q], params[row + q]); }
  let h = max(acc, 0.0);
  return select(h, min(h, shape.bound), shape.bound > 0.0);
}

// z += h W2[j, :] for hidden unit j with value h.
fn addHidden(j: u32, h: f32) {
  let row = W2 + j * C4;
  for (var c4 = 0u; c4 < C4; c4++) { z[c4] += h * params[row + c4]; }
}

// z = b2 + relu(P W1 + b1) W2.
fn updateRule() {
  for (var c4 = 0u; c4 < C4; c4++) { z[c4] = params[B2 + c4]; }
  for (var j = 0u; j < HIDDEN; j++) { addHidden(j, hiddenUnit(j)); }
}

// docs/design.md §3.4's alive mask of cell i in xIn (aliveU: in uIn). Two functions, because a WGSL
// function cannot take a storage buffer as an argument.
fn aliveIn(i: u32) -> bool {
  let base = (i / shape.cells) * shape.cells;
  let cell = i % shape.cells;
  for (var k = 0u; k < 9u; k++) {
    let nb = neighbour(cell, k);
    if (nb >= 0 && xIn[(base + u32(nb)) * C4].w > shape.threshold) { return true; }
  }
  return false;
}

fn aliveU(i: u32) -> bool {
  let base = (i / shape.cells) * shape.cells;
  let cell = i % shape.cells;
  for (var k = 0u; k < 9u; k++) {
    let nb = neighbour(cell, k);
    if (nb >= 0 && uIn[(base + u32(nb)) * C4].w > shape.threshold) { return true; }
  }
  return false;
}

@compute @workgroup_size(${CELLS_PER_WORKGROUP})
fn preMask(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  if (i >= shape.n) { return; }
  preOut[i] = select(0u, 1u, aliveIn(i));
}

@compute @workgroup_size(${CELLS_PER_WORKGROUP})
fn updateForward(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  if (i >= shape.n) { return; }
  let at = i * C4;
  if (!firedAt(i) || (shape.prePost != 0u && preIn[i] == 0u)) {
    for (var c4 = 0u; c4 < C4; c4++) { uOut[at + c4] = xIn[at + c4]; }
    return;
  }
  perceive(i);
  updateRule();
  for (var c4 = 0u; c4 < C4; c4++) { uOut[at + c4] = xIn[at + c4] + bounded(squash(z[c4])); }
}

@compute @workgroup_size(${CELLS_PER_WORKGROUP})
fn postMask(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  if (i >= shape.n) { return; }
  // alive_masking "none" (the texture model): every cell lives.
  let alive = shape.noMask != 0u || (aliveU(i) && (shape.prePost == 0u || preIn[i] != 0u));
  maskOut[i] = select(0u, 1u, alive);
  let keep = select(0.0, 1.0, alive);
  for (var c4 = 0u; c4 < C4; c4++) {
    // Multiplied, not assigned: a NaN stays NaN, as in the reference.
    var v = bounded(uIn[i * C4 + c4] * keep);
    if (shape.clampOn != 0u && c4 == 0u) { v = clip(v, 0.0, 1.0); }
    xOut[i * C4 + c4] = v;
  }
}

// The RGBA error of a cell of the sample whose first cell is base, in the final state.
fn rgbaError(base: u32, cell: u32) -> vec4f {
  return xIn[(base + cell) * C4] - targetRgba[cell];
}

// d(loss)/d(final state): the RGBA error, the overflow penalty, the outside penalty and the
// detail term, its sum over the 4-neighbours inside the grid (docs/design.md §4).
@compute @workgroup_size(${CELLS_PER_WORKGROUP})
fn seedGradient(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  if (i >= shape.n) { return; }
  for (var c4 = 0u; c4 < C4; c4++) {
    let v = xIn[i * C4 + c4];
    let wanted = targetRgba[i % shape.cells];
    var g = shape.overflowScale * (v - clip(v, -1.0, 1.0));
    if (wanted.w == 0.0) { g += shape.outsideScale * v; }
    if (c4 == 0u) { g += shape.lossScale * (v - wanted); }
    if (c4 == 0u && shape.detailScale != 0.0) {
      let cell = i % shape.cells;
      let base = i - cell;
      let x = cell % shape.width;
      let y = cell / shape.width;
      let e = v - wanted;
      var sum = vec4f(0.0);
      if (x > 0u) { sum += e - rgbaError(base, cell - 1u); }
      if (x + 1u < shape.width) { sum += e - rgbaError(base, cell + 1u); }
      if (y > 0u) { sum += e - rgbaError(base, cell - shape.width); }
      if (y + 1u < shape.height) { sum += e - rgbaError(base, cell + shape.width); }
      g += shape.detailScale * sum;
    }
    gOut[i * C4 + c4] = g;
  }
}

var<workgroup> anyLive: atomic<u32>;

// One step backward for cell i: gIn holds d(loss)/d(x_{s+1}); writes the direct part of
// d(loss)/d(x_s) into dOut and, for a cell that runs the update rule, its row of work; an
// inactive cell's row is zero, and so is its workgroup's flag when none of them is active.
@compute @workgroup_size(${CELLS_PER_WORKGROUP})
fn updateBackward(@builtin(global_invocation_id) id: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3u) {
  let i = id.x;
  if (lid == 0u) { atomicStore(&anyLive, 0u); }
  workgroupBarrier();
  if (i < shape.n) {
    let rowP = i * ROW;
    let rowDh = rowP + ROW_DH;
    let rowH = rowP + ROW_H;
    let rowDz = rowP + ROW_DZ;
    let rowDp = rowP + ROW_DP;
    let at = i * C4;
    let alive = maskIn[i] != 0u;
    if (!(alive && firedAt(i))) {
      for (var c4 = 0u; c4 < C4; c4++) {
        // A cell that keeps its state: u = x, so du = g where clamping lets it through.
        dOut[at + c4] = select(vec4f(0.0), gIn[at + c4], passes(c4, xIn[at + c4]) & vec4<bool>(alive));
      }
      for (var q = 0u; q < ROW; q++) { work[rowP + q] = vec4f(0.0); }
    } else {
      atomicStore(&anyLive, 1u);
      perceive(i);
      for (var q = 0u; q < K4; q++) { work[rowP + q] = p[q]; }
      work[rowP + K4] = vec4f(1.0, 0.0, 0.0, 0.0);
      // The update rule as in updateRule, keeping the hidden layer.
      for (var c4 = 0u; c4 < C4; c4++) { z[c4] = params[B2 + c4]; }
      for (var j4 = 0u; j4 < H4; j4++) {
        var hv = vec4f(0.0);
        for (var e = 0u; e < 4u; e++) {
          let j = j4 * 4u + e;
          if (j < HIDDEN) {
            hv[e] = hiddenUnit(j);
            addHidden(j, hv[e]);
          }
        }
        work[rowH + j4] = hv;
      }
      work[rowH + H4] = vec4f(1.0, 0.0, 0.0, 0.0);
      // z becomes dZ: through the state's clips, the update's clip, then any tanh.
      for (var c4 = 0u; c4 < C4; c4++) {
        let raw = squash(z[c4]);
        let through = passes(c4, xIn[at + c4] + bounded(raw));
        dOut[at + c4] = select(vec4f(0.0), gIn[at + c4], through);
        let du = select(vec4f(0.0), gIn[at + c4], through & within(raw));
        z[c4] = select(du, du * (1.0 - raw * raw), shape.tanhOn != 0u);
        work[rowDz + c4] = z[c4];
      }
      // p becomes dP (a unit held at the bound's cap passes nothing back).
      for (var q = 0u; q < K4; q++) { p[q] = vec4f(0.0); }
      for (var j4 = 0u; j4 < H4; j4++) {
        let hv = work[rowH + j4];
        var dhv = vec4f(0.0);
        for (var e = 0u; e < 4u; e++) {
          let j = j4 * 4u + e;
          if (j < HIDDEN && hv[e] > 0.0 && (shape.bound <= 0.0 || hv[e] < shape.bound)) {
            var dh = 0.0;
            let row2 = W2 + j * C4;
            for (var c4 = 0u; c4 < C4; c4++) { dh += dot(params[row2 + c4], z[c4]); }
            let row1 = W1 + j * K4;
            for (var q = 0u; q < K4; q++) { p[q] += params[row1 + q] * dh; }
            dhv[e] = dh;
          }
        }
        work[rowDh + j4] = dhv;
      }
      // The perception clip: p is kept clipped, so |p| == b where it was cut.
      for (var q = 0u; q < K4; q++) {
        let kept = work[rowP + q];
        let cut = vec4<bool>(shape.bound > 0.0) & ((kept >= vec4f(shape.bound)) | (kept <= vec4f(-shape.bound)));
        work[rowDp + q] = select(p[q], vec4f(0.0), cut);
      }
    }
  }
  workgroupBarrier();
  if (lid == 0u) { flags[wg.x] = atomicLoad(&anyLive); }
}

// The adjoint of perception, as a gather: cell i adds the dP of every active cell whose
// neighbourhood reads it, through each kernel tap that reads it (padding can make several).
@compute @workgroup_size(${CELLS_PER_WORKGROUP})
fn adjoint(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  if (i >= shape.n) { return; }
  let base = (i / shape.cells) * shape.cells;
  let cell = i % shape.cells;
  let y = i32(cell / shape.width);
  let x = i32(cell % shape.width);
  let h = i32(shape.height);
  let w = i32(shape.width);
  for (var c4 = 0u; c4 < C4; c4++) { z[c4] = vec4f(0.0); }
  var ys = array<i32, 3>(-1, -1, -1);
  var xs = array<i32, 3>(-1, -1, -1);
  for (var d = 0; d < 3; d++) {
    var yy = y + d - 1;
    var xx = x + d - 1;
    if (shape.padding == 1u) { yy = (yy + h) % h; xx = (xx + w) % w; }
    // Each row and column once, even where wrapping folds a small grid onto itself.
    if (yy >= 0 && yy < h && yy != ys[0] && yy != ys[1]) { ys[d] = yy; }
    if (xx >= 0 && xx < w && xx != xs[0] && xx != xs[1]) { xs[d] = xx; }
  }
  for (var a = 0; a < 3; a++) {
    for (var b = 0; b < 3; b++) {
      if (ys[a] < 0 || xs[b] < 0) { continue; }
      let other = u32(ys[a] * w + xs[b]);
      let j = base + other;
      if (maskIn[j] == 0u || !firedAt(j)) { continue; }
      let row = j * ROW + ROW_DP;
      for (var k = 0u; k < 9u; k++) {
        if (neighbour(other, k) != i32(cell)) { continue; }
        let tap = params[k];
        for (var c4 = 0u; c4 < C4; c4++) {
          z[c4] += tap.x * workIn[row + c4] + tap.y * workIn[row + C4 + c4] + tap.z * workIn[row + 2u * C4 + c4];
          if (FILTERS == 4u) { z[c4] += tap.w * workIn[row + 3u * C4 + c4]; }
        }
      }
    }
  }
  for (var c4 = 0u; c4 < C4; c4++) { dOut[i * C4 + c4] += z[c4]; }
}

// One 4 x 4 block of out = A^T B over one chunk of rows, added into this chunk's partial sum:
// invocation (j, i) of the block grid, j fastest; tiles of rows without an active cell are skipped.
@compute @workgroup_size(${CELLS_PER_WORKGROUP})
fn productPartial(@builtin(global_invocation_id) id: vec3u) {
  let blocks = product.aCols * product.bCols;
  if (id.x >= blocks) { return; }
  let i = id.x / product.bCols;
  let j = id.x % product.bCols;
  let chunk = id.y;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var t = 0u; t < TILES_PER_CHUNK; t++) {
    let tile = chunk * TILES_PER_CHUNK + t;
    if (tile >= arrayLength(&flagsIn) || flagsIn[tile] == 0u) { continue; }
    let end = min((tile + 1u) * TILE_ROWS, shape.n);
    for (var r = tile * TILE_ROWS; r < end; r++) {
      let a = workIn[r * ROW + product.aOffset + i];
      let b = workIn[r * ROW + product.bOffset + j];
      acc0 += a.x * b;
      acc1 += a.y * b;
      acc2 += a.z * b;
      acc3 += a.w * b;
    }
  }
  // Partial sums: [chunk][4 aCols][bCols] vec4s.
  let at = product.partialOffset + (chunk * 4u * product.aCols + 4u * i) * product.bCols + j;
  partials[at] += acc0;
  partials[at + product.bCols] += acc1;
  partials[at + 2u * product.bCols] += acc2;
  partials[at + 3u * product.bCols] += acc3;
}

// The chunks' partial sums added up, in chunk order: [dW1; db1] then [dW2; db2], in vec4s.
@compute @workgroup_size(${CELLS_PER_WORKGROUP})
fn reducePartials(@builtin(global_invocation_id) id: vec3u) {
  let e = id.x;
  if (e >= shape.totalOut) { return; }
  var acc = vec4f(0.0);
  if (e < shape.productOne) {
    for (var c = 0u; c < shape.chunks; c++) { acc += partialsIn[c * shape.productOne + e]; }
  } else {
    let f = e - shape.productOne;
    let base = shape.chunks * shape.productOne;
    for (var c = 0u; c < shape.chunks; c++) { acc += partialsIn[base + c * shape.productTwo + f]; }
  }
  gradsOut[e] = acc;
}
`;
