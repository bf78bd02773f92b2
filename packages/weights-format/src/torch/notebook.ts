// The original PyTorch notebook's model, mapped onto ours and back.
//
// The notebook's module `Automata` is `mapper = Sequential(Linear(48, 128), ReLU(),
// Linear(128, 16), Tanh())`; its state is x[C, 1, A, B] with the image loaded as
// `img.transpose(0, 2)`, so axis A is the image's x (columns) and B its y (rows). Perception is
// `conv2d(pad(x, reflect), filters)` with, in this order,
//   F0 = [[-1,0,1],[-2,0,2],[-1,0,1]],  F1 = [[-1,-2,-1],[0,0,0],[1,2,1]],  F2 = identity.
// conv2d correlates: tap (i, j) reads x[a + i - 1, b + j - 1], so a filter's rows run along A
// (image x) and its columns along B (image y). F0 is -1 at column 0 and +1 at column 2: the
// difference along y, weighted 1, 2, 1 along x, which is our sobel_y at scale 1. F1 is the same
// along x: our sobel_x. F2 is our identity. The result [C, 3, A, B] is viewed as [3C, A*B], so
// the 48 inputs of the first Linear are channel-major, notebook index 3c + f, while ours are
// filter-major [identity, sobel_x, sobel_y] x C. Hence, for channel c:
//   notebook 3c + 0 (F0, sobel_y) -> ours 2C + c
//   notebook 3c + 1 (F1, sobel_x) -> ours  C + c
//   notebook 3c + 2 (F2, identity) -> ours     c
// Linear stores weight[out, in]; ours dense1Weight is [3C, hidden] and dense2Weight [hidden, C],
// both row-major, so the weights are transposed as well as permuted.
//
// The step is `x + update * (rand < 0.75)`, alive where the 3x3 max of alpha after the update is
// > 0, x[:4] clamped to [0, 1]: our config with reflect padding, Sobel scale 1, tanh, fire rate
// 0.75, post-update masking at threshold 0 and the RGBA clamp. One difference: the notebook
// draws its fire mask per channel, we draw it per cell (docs/design.md §3.3), so stochastic runs differ in
// distribution while deterministic ones (fire rate 1) match exactly.
import { DEFAULT_CONFIG, type NcaConfig } from '../config.ts';
import { WeightsFormatError } from '../errors.ts';
import type { NcaModel } from '../model.ts';
import type { StateDict, StateTensor } from './archive.ts';

/** What the notebook's module computes, as our config (grid 64: the notebook's 48 px + 2 x 8). */
export const NOTEBOOK_CONFIG: Readonly<NcaConfig> = Object.freeze({
  ...DEFAULT_CONFIG,
  channels: 16,
  hidden: 128,
  padding: 'reflect',
  sobelScale: 1,
  angle: 0,
  tanh: true,
  fireRate: 0.75,
  aliveThreshold: 0,
  aliveMasking: 'post',
  clampRgba: true,
  gridWidth: 64,
  gridHeight: 64,
});

const C = NOTEBOOK_CONFIG.channels;
const HIDDEN = NOTEBOOK_CONFIG.hidden;

/** The notebook's state dict: key -> shape. */
export const NOTEBOOK_STATE_DICT: Readonly<Record<string, readonly number[]>> = Object.freeze({
  'mapper.0.weight': [HIDDEN, 3 * C],
  'mapper.0.bias': [HIDDEN],
  'mapper.2.weight': [C, HIDDEN],
  'mapper.2.bias': [C],
});

/** Our filter-major perception index of the notebook's channel-major input 3c + f. */
export function ourInput(notebookInput: number, channels = C): number {
  const c = Math.floor(notebookInput / 3);
  const f = notebookInput % 3;
  return [2, 1, 0][f]! * channels + c;
}

function describe(dict: StateDict): string {
  return [...dict].map(([key, t]) => `${key} ${JSON.stringify(t.shape)}`).join(', ') || 'nothing';
}

/** Our model from the notebook's state dict; `source` names the file in errors and in the metadata. */
export function importNotebook(dict: StateDict, options: { source?: string; name?: string } = {}): NcaModel {
  const expected = Object.entries(NOTEBOOK_STATE_DICT);
  const fits = dict.size === expected.length && expected.every(([key, shape]) => JSON.stringify(dict.get(key)?.shape) === JSON.stringify(shape));
  if (!fits) {
    throw new WeightsFormatError(
      'BAD_STATE_DICT',
      `not the notebook's state dict: expected ${expected.map(([key, shape]) => `${key} ${JSON.stringify(shape)}`).join(', ')}; found ${describe(dict)}`,
      options.source,
    );
  }
  const w0 = dict.get('mapper.0.weight')!.data;
  const w2 = dict.get('mapper.2.weight')!.data;
  const dense1Weight = new Float32Array(3 * C * HIDDEN);
  for (let h = 0; h < HIDDEN; h++) {
    for (let k = 0; k < 3 * C; k++) {
      dense1Weight[ourInput(k) * HIDDEN + h] = w0[h * 3 * C + k]!;
    }
  }
  const dense2Weight = new Float32Array(HIDDEN * C);
  for (let c = 0; c < C; c++) {
    for (let h = 0; h < HIDDEN; h++) {
      dense2Weight[h * C + c] = w2[c * HIDDEN + h]!;
    }
  }
  const dtypes = [...new Set([...dict.values()].map((t) => t.dtype))].join(', ');
  return {
    config: { ...NOTEBOOK_CONFIG },
    params: {
      dense1Weight,
      dense1Bias: Float32Array.from(dict.get('mapper.0.bias')!.data),
      dense2Weight,
      dense2Bias: Float32Array.from(dict.get('mapper.2.bias')!.data),
    },
    source: {
      format: 'pytorch-notebook state dict',
      ...(options.name === undefined ? {} : { file: options.name }),
      stored_as: dtypes,
      note: 'fire mask drawn per cell here, per channel in the notebook',
    },
  };
}

/** The config settings the notebook's module hard-codes, and what this model has instead. */
function inexpressible(config: NcaConfig): string[] {
  const keys = ['channels', 'hidden', 'padding', 'sobelScale', 'angle', 'tanh', 'fireRate', 'aliveThreshold', 'aliveMasking', 'clampRgba'] as const;
  return keys
    .filter((key) => config[key] !== NOTEBOOK_CONFIG[key])
    .map((key) => `${key} ${JSON.stringify(config[key])} (the notebook: ${JSON.stringify(NOTEBOOK_CONFIG[key])})`);
}

/** The notebook's state dict of our model; refused for a config the notebook's module cannot express. */
export function exportNotebook(model: NcaModel, options: { source?: string } = {}): StateDict {
  const differences = inexpressible(model.config);
  if (differences.length > 0) {
    throw new WeightsFormatError('NOT_EXPORTABLE', `the notebook's module cannot run this model: ${differences.join(', ')}`, options.source);
  }
  const { params } = model;
  const w0 = new Float32Array(HIDDEN * 3 * C);
  for (let h = 0; h < HIDDEN; h++) {
    for (let k = 0; k < 3 * C; k++) {
      w0[h * 3 * C + k] = params.dense1Weight[ourInput(k) * HIDDEN + h]!;
    }
  }
  const w2 = new Float32Array(C * HIDDEN);
  for (let c = 0; c < C; c++) {
    for (let h = 0; h < HIDDEN; h++) {
      w2[c * HIDDEN + h] = params.dense2Weight[h * C + c]!;
    }
  }
  const tensor = (key: string, data: Float32Array): [string, StateTensor] => [key, { shape: [...NOTEBOOK_STATE_DICT[key]!], data, dtype: 'float32' }];
  return new Map<string, StateTensor>([
    tensor('mapper.0.weight', w0),
    tensor('mapper.0.bias', Float32Array.from(params.dense1Bias)),
    tensor('mapper.2.weight', w2),
    tensor('mapper.2.bias', Float32Array.from(params.dense2Bias)),
  ]);
}
