// The fast rollouts' binary interface, stated once: the wasm kernel's task header (rollout.c's
// `Task`) and the WGSL uniform blocks as named field tables, the padding codes, the loss scales
// and the channel grouping both read, and the WebGPU backward pass's row of work. The hosts pack
// by these tables, the WGSL structs are generated from them, and the kernel's C struct is checked
// against its table when the kernel is built (scripts/build-wasm.sh compiles the assertions
// `cLayoutAsserts` writes).
import type { NcaConfig, Padding } from '@nca-studio/weights-format';

/** Every field is 4 bytes: a 32-bit integer, a float, or a wasm32 pointer. */
export type FieldKind = 'i32' | 'u32' | 'f32' | 'ptr';
export type FieldTable = readonly (readonly [name: string, kind: FieldKind])[];
export type FieldValues<T extends FieldTable> = { [K in T[number][0]]: number };

/** rollout.c's `Task`, field by field in its order. */
export const TASK_FIELDS = [
  ['count', 'i32'],
  ['height', 'i32'],
  ['width', 'i32'],
  ['channels', 'i32'],
  ['hidden', 'i32'],
  ['steps', 'i32'],
  ['padding', 'i32'],
  ['tanh', 'i32'],
  ['prePost', 'i32'],
  ['clamp', 'i32'],
  ['noMask', 'i32'],
  ['filters', 'i32'],
  ['storeHidden', 'i32'],
  ['forwardOnly', 'i32'],
  ['threshold', 'f32'],
  ['lossScale', 'f32'],
  ['overflowScale', 'f32'],
  ['outsideScale', 'f32'],
  ['detailScale', 'f32'],
  ['bound', 'f32'],
  ['kernel', 'ptr'],
  ['w1', 'ptr'],
  ['b1', 'ptr'],
  ['w2', 'ptr'],
  ['b2', 'ptr'],
  ['finalGrad', 'ptr'],
  ['states', 'ptr'],
  ['fire', 'ptr'],
  ['target', 'ptr'],
  ['dw1', 'ptr'],
  ['db1', 'ptr'],
  ['dw2', 'ptr'],
  ['db2', 'ptr'],
  ['losses', 'ptr'],
  ['final', 'ptr'],
  ['scratch', 'ptr'],
] as const satisfies FieldTable;

/** The WGSL rollout's `Shape` uniform: the batch, the grid, the config and the reduction sizes. */
export const SHAPE_FIELDS = [
  ['count', 'u32'],
  ['height', 'u32'],
  ['width', 'u32'],
  ['cells', 'u32'],
  ['n', 'u32'],
  ['padding', 'u32'],
  ['tanhOn', 'u32'],
  ['prePost', 'u32'],
  ['clampOn', 'u32'],
  ['noMask', 'u32'],
  ['chunks', 'u32'],
  ['threshold', 'f32'],
  ['lossScale', 'f32'],
  ['overflowScale', 'f32'],
  ['outsideScale', 'f32'],
  ['detailScale', 'f32'],
  ['bound', 'f32'],
  ['totalOut', 'u32'],
  ['productOne', 'u32'],
  ['productTwo', 'u32'],
] as const satisfies FieldTable;

/** The WGSL rollout's `Step` uniform (one per step; 16 bytes). */
export const STEP_FIELDS = [
  ['s', 'u32'],
  ['a', 'u32'],
  ['b', 'u32'],
  ['c', 'u32'],
] as const satisfies FieldTable;

/** The WGSL rollout's `Product` uniform: out[4 i + e][j] += sum over rows of A[row][i][e] B[row][j]. */
export const PRODUCT_FIELDS = [
  ['aOffset', 'u32'],
  ['aCols', 'u32'],
  ['bOffset', 'u32'],
  ['bCols', 'u32'],
  ['partialOffset', 'u32'],
  ['a', 'u32'],
  ['b', 'u32'],
  ['c', 'u32'],
] as const satisfies FieldTable;

/** Bytes of a block packed by `table`. */
export function fieldBytes(table: FieldTable): number {
  return table.length * 4;
}

/**
 * Packs `values` by `table` into `into` at `byteOffset` (a new buffer by default): each field at
 * 4 x its index, integers as 32 bits, floats as float32. Every field must be given.
 */
export function packFields<T extends FieldTable>(
  table: T,
  values: FieldValues<T>,
  into: ArrayBuffer = new ArrayBuffer(fieldBytes(table)),
  byteOffset = 0,
): ArrayBuffer {
  const view = new DataView(into, byteOffset, fieldBytes(table));
  const given = values as Record<string, number>;
  table.forEach(([name, kind], i) => {
    const value = given[name];
    if (value === undefined || !Number.isFinite(value)) {
      throw new RangeError(`packFields: field '${name}' is ${String(value)}`);
    }
    if (kind === 'f32') {
      view.setFloat32(4 * i, value, true);
    } else if (kind === 'i32') {
      view.setInt32(4 * i, value, true);
    } else {
      view.setUint32(4 * i, value, true);
    }
  });
  return into;
}

/** A table as a WGSL struct declaration: the shader's block is generated, never restated. */
export function wgslStruct(name: string, table: FieldTable): string {
  return `struct ${name} { ${table.map(([field, kind]) => `${field}: ${kind === 'f32' ? 'f32' : 'u32'}`).join(', ')} }`;
}

/** C assertions that `struct` has `table`'s layout: each field's offset, and the size. */
export function cLayoutAsserts(struct: string, table: FieldTable): string {
  const lines = table.map(
    ([field], i) =>
      `_Static_assert(__builtin_offsetof(${struct}, ${field}) == ${4 * i}, "${struct}.${field} is not at byte ${4 * i} as rolloutLayout.ts says");`,
  );
  lines.push(`_Static_assert(sizeof(${struct}) == ${fieldBytes(table)}, "${struct} is not ${fieldBytes(table)} bytes as rolloutLayout.ts says");`);
  return `${lines.join('\n')}\n`;
}

/** Padding modes as both kernels number them. */
export const PADDING_CODES: Readonly<Record<Padding, number>> = { zero: 0, wrap: 1, reflect: 2 };

/**
 * The gradient's scales on the final state: d(sum of per-sample MSE / batch)/d(rgba) =
 * lossScale (x - target); the overflow penalty's share of the batch, overflowScale
 * (x - clip(x, -1, 1)); the outside penalty's, outsideScale x on every channel of a cell
 * where the target's alpha is 0; and the detail term's, detailScale times the sum over the
 * cell's 4-neighbours inside the grid of (its RGBA error - the neighbour's) (loss.ts states the
 * penalties and the term).
 */
export function lossScales(
  config: Pick<NcaConfig, 'gridWidth' | 'gridHeight' | 'channels'>,
  batch: number,
  weights: { overflowWeight: number; outsideWeight: number; detailWeight: number },
): { lossScale: number; overflowScale: number; outsideScale: number; detailScale: number } {
  const cells = config.gridWidth * config.gridHeight;
  const perValue = 2 / (batch * cells * config.channels);
  const lossScale = 2 / (cells * 4 * batch);
  return {
    lossScale,
    overflowScale: weights.overflowWeight * perValue,
    outsideScale: weights.outsideWeight * perValue,
    detailScale: weights.detailWeight * lossScale,
  };
}

/** Channels and hidden units in groups of four: the WGSL rollout works on vec4s, zero-padded. */
export function quads(n: number): number {
  return Math.ceil(n / 4);
}

/**
 * One active cell's row of work in the WebGPU backward pass, in vec4s (`filters`: 3, or 4 with
 * the texture model's Laplacian): its perception and a 1
 * ([P 1], the bias column), dH, its hidden layer and a 1 ([H 1]), dZ, dP. The shader's
 * constants, the products' operands and the buffer's size all come from here.
 */
export function workRow(channels: number, hidden: number, filters = 3): { p: number; dH: number; h: number; dZ: number; dP: number; length: number } {
  const c4 = quads(channels);
  const k4 = filters * c4;
  const h4 = quads(hidden);
  const dH = k4 + 1;
  const h = dH + h4;
  const dZ = h + h4 + 1;
  const dP = dZ + c4;
  return { p: 0, dH, h, dZ, dP, length: dP + k4 };
}
