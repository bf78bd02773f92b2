// The checkpoint file (docs/design.md, "The checkpoint file"): a run's whole state, so that it
// continues bit for bit. Safetensors like the weights file: the weights, Adam's moments, the
// target and the pool as F32 tensors; the plan, the counters and the losses as JSON in the
// metadata. It is read as strictly as the weights file: format and version (older ones
// migrated a step at a time, with the values those files really meant), the plan's JSON, every
// tensor's dtype and exact shape against the plan, finite values; every refusal is a
// WeightsFormatError naming the file, before any training starts.
import { WeightsFormatError } from './errors.ts';
import { isCount, isPlainObject } from './json.ts';
import { migrate, parseFormatVersion, type Migration } from './migrations.ts';
import { assertFinite, PARAM_NAMES, paramShapes, shapeText, type NcaParams } from './model.ts';
import { MAX_ITERATIONS, parseRunPlan, type RunPlan, type TrainingSettings } from './runPlan.ts';
import { decodeSafetensors, encodeSafetensors, type RawTensor, type SafetensorsFile } from './safetensors.ts';
import { bytesToFloat32 } from './tensor-data.ts';

export const CHECKPOINT_FORMAT = 'nca-checkpoint';
export const CHECKPOINT_VERSION = 5;

export interface AdamState {
  /** Updates applied so far. */
  t: number;
  /** First and second moments, one array per parameter in PARAM_NAMES order. */
  m: Float32Array[];
  v: Float32Array[];
}

/**
 * Everything needed to continue a run exactly: weights, optimiser, pool, RNG, losses. Plain
 * arrays, so a checkpoint file (the CLI) or IndexedDB (a page) holds it as it is.
 */
export interface TrainingState {
  iteration: number;
  rngState: number;
  params: NcaParams;
  adam: AdamState;
  /** [pool, H, W, C], or null for a run without a pool. */
  pool: Float32Array | null;
  /** The padded premultiplied target, [H, W, 4]; a texture run's exemplar RGBA in [0, 1], [h, w, 4]. */
  target: Float32Array;
  /** One per iteration so far. */
  losses: number[];
  /** Seconds spent in iterations so far (for iterations/s across resumes). */
  seconds: number;
}

/** A setting a resumed run changed: what it was and what it became. */
export interface SettingChange {
  from: unknown;
  to: unknown;
}

/** One resumption of a run: where it continued and what it changed (nothing, mostly). */
export interface Resumption {
  iteration: number;
  changed: Record<string, SettingChange>;
}

/** A run's checkpoint: its state, the plan that continues it, and how it was resumed so far. */
export interface Checkpoint extends TrainingState {
  plan: RunPlan;
  resumptions: Resumption[];
  /**
   * The gradient route the run last trained on ('kernel', 'webgpu', 'tfjs'): a resume keeps it
   * unless asked otherwise, since another route rounds differently. Null where not known (v1).
   */
  route: string | null;
}

const f32 = (values: Float32Array, shape: number[]): RawTensor => ({
  dtype: 'F32',
  shape,
  bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
});

/** Every tensor a checkpoint of this plan holds, and its exact shape. */
function expectedTensors(plan: RunPlan): Map<string, number[]> {
  const shapes = paramShapes(plan.config);
  const tensors = new Map<string, number[]>();
  for (const name of PARAM_NAMES) {
    tensors.set(`params.${name}`, shapes[name]);
    tensors.set(`adam.m.${name}`, shapes[name]);
    tensors.set(`adam.v.${name}`, shapes[name]);
  }
  const grid = [plan.config.gridHeight, plan.config.gridWidth];
  // A texture run's target is its exemplar, of its own size.
  tensors.set('target', plan.exemplar === undefined ? [...grid, 4] : [plan.exemplar.height, plan.exemplar.width, 4]);
  if (plan.training.pool > 0) {
    tensors.set('pool', [plan.training.pool, ...grid, plan.config.channels]);
  }
  return tensors;
}

/** The file's bytes. The CLI writes them to a run folder, a page to IndexedDB: either continues the other's run. */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array<ArrayBuffer> {
  const { plan, params, adam } = checkpoint;
  const shapes = expectedTensors(plan);
  const tensors: Record<string, RawTensor> = {};
  PARAM_NAMES.forEach((name, i) => {
    tensors[`params.${name}`] = f32(params[name], shapes.get(`params.${name}`)!);
    tensors[`adam.m.${name}`] = f32(adam.m[i]!, shapes.get(`adam.m.${name}`)!);
    tensors[`adam.v.${name}`] = f32(adam.v[i]!, shapes.get(`adam.v.${name}`)!);
  });
  tensors.target = f32(checkpoint.target, shapes.get('target')!);
  if (checkpoint.pool !== null) {
    tensors.pool = f32(checkpoint.pool, shapes.get('pool') ?? [checkpoint.pool.length]);
  }
  for (const [name, tensor] of Object.entries(tensors)) {
    const expected = tensor.shape.reduce((a, b) => a * b, 1) * 4;
    if (tensor.bytes.byteLength !== expected) {
      throw new WeightsFormatError(
        'BAD_SHAPE',
        `checkpoint tensor '${name}' has ${tensor.bytes.byteLength / 4} values, the plan's ${shapeText(tensor.shape)} needs ${expected / 4}`,
      );
    }
  }
  const state = {
    plan,
    iteration: checkpoint.iteration,
    rng_state: checkpoint.rngState,
    adam_t: adam.t,
    losses: checkpoint.losses,
    seconds: checkpoint.seconds,
    resumptions: checkpoint.resumptions,
    route: checkpoint.route,
  };
  return encodeSafetensors({ metadata: { format: CHECKPOINT_FORMAT, format_version: String(CHECKPOINT_VERSION), state: JSON.stringify(state) }, tensors });
}

/** Whether a safetensors file says it is a checkpoint (the header only; nothing is validated). */
export function isCheckpointFile(bytes: Uint8Array): boolean {
  try {
    return decodeSafetensors(bytes).metadata.format === CHECKPOINT_FORMAT;
  } catch {
    return false;
  }
}

/**
 * Version 1 (the first checkpoints, 2026-11 to 2026-12) wrote the plan's settings as they were
 * then: a file from before a setting existed lacks it, and its run trained as the code did
 * before the setting came. Those values are pinned here, never taken from today's presets:
 * - `damageRadius`: the article's discs, 0.05..0.2 of the grid (the setting came on 2026-11-26);
 * - `reseedEvery`: 1, the worst sample re-seeded every iteration (2026-11-26);
 * - `overflowWeight`: 0, no overflow penalty (2026-11-26);
 * - `lrSchedule`: 'step', the article's drop at `lrDecayAt` (2026-12-04).
 * Version 2 requires every setting and adds the run's resumptions (none for a v1 file) and its
 * gradient route (unknown for a v1 file).
 */
const V1_MISSING_SETTINGS: Partial<TrainingSettings> = {
  damageRadius: { min: 0.05, max: 0.2 },
  reseedEvery: 1,
  overflowWeight: 0,
  lrSchedule: 'step',
};

function v1ToV2(file: SafetensorsFile, source: string | undefined): SafetensorsFile {
  const state = parseState(file.metadata.state, source);
  const plan = state.plan;
  if (isPlainObject(plan) && isPlainObject(plan.training)) {
    for (const [key, value] of Object.entries(V1_MISSING_SETTINGS)) {
      if (!Object.hasOwn(plan.training, key)) {
        plan.training[key] = value;
      }
    }
  }
  if (Object.hasOwn(state, 'resumptions')) {
    throw new WeightsFormatError('BAD_METADATA', 'a format_version 1 checkpoint has no resumptions', source);
  }
  state.resumptions = [];
  state.route = null;
  return { metadata: { ...file.metadata, format_version: '2', state: JSON.stringify(state) }, tensors: file.tensors };
}

/**
 * Version 3 adds two settings (2026-12-07): `outsideWeight` (the penalty on cells outside the
 * picture) and `budget` (a time budget). Every earlier run trained with neither: 0 and null.
 */
function v2ToV3(file: SafetensorsFile, source: string | undefined): SafetensorsFile {
  const state = parseState(file.metadata.state, source);
  const plan = state.plan;
  if (isPlainObject(plan) && isPlainObject(plan.training)) {
    for (const [key, value] of Object.entries({ outsideWeight: 0, budget: null })) {
      if (Object.hasOwn(plan.training, key)) {
        throw new WeightsFormatError('BAD_METADATA', `a format_version 2 checkpoint has no training.${key}`, source);
      }
      plan.training[key] = value;
    }
  }
  return { metadata: { ...file.metadata, format_version: '3', state: JSON.stringify(state) }, tensors: file.tensors };
}

/**
 * Version 4 comes with the texture model (2026-12-07): the plan's config has the weights file's
 * version 2 fields, and a texture run's plan its exemplar size. Every earlier run was a growing
 * model: no Laplacian, no clip, a seed, RGBA.
 */
function v3ToV4(file: SafetensorsFile, source: string | undefined): SafetensorsFile {
  const state = parseState(file.metadata.state, source);
  const plan = state.plan;
  if (isPlainObject(plan) && isPlainObject(plan.config)) {
    for (const [key, value] of Object.entries({ laplacian: false, clip: null, start: 'seed', display: 'rgba' })) {
      if (Object.hasOwn(plan.config, key)) {
        throw new WeightsFormatError('BAD_METADATA', `a format_version 3 checkpoint has no config.${key}`, source);
      }
      plan.config[key] = value;
    }
    if (Object.hasOwn(plan, 'exemplar')) {
      throw new WeightsFormatError('BAD_METADATA', 'a format_version 3 checkpoint has no exemplar', source);
    }
  }
  return { metadata: { ...file.metadata, format_version: '4', state: JSON.stringify(state) }, tensors: file.tensors };
}

/**
 * Version 5 adds the detail term's weight (2026-12-08, `detailWeight`). Every earlier run trained
 * without it: 0.
 */
function v4ToV5(file: SafetensorsFile, source: string | undefined): SafetensorsFile {
  const state = parseState(file.metadata.state, source);
  const plan = state.plan;
  if (isPlainObject(plan) && isPlainObject(plan.training)) {
    if (Object.hasOwn(plan.training, 'detailWeight')) {
      throw new WeightsFormatError('BAD_METADATA', 'a format_version 4 checkpoint has no training.detailWeight', source);
    }
    plan.training.detailWeight = 0;
  }
  return { metadata: { ...file.metadata, format_version: '5', state: JSON.stringify(state) }, tensors: file.tensors };
}

/** CHECKPOINT_MIGRATIONS[v] takes a checkpoint from version v to v + 1 (there was no version 0). */
export const CHECKPOINT_MIGRATIONS: readonly Migration[] = [
  {
    from: 0,
    to: 1,
    summary: 'none: checkpoints began at version 1',
    migrate: (_file, source) => {
      throw new WeightsFormatError('BAD_VERSION', 'checkpoint format_version 0 never existed', source);
    },
  },
  { from: 1, to: 2, summary: 'v1 settings missing from older files, pinned to the values those runs used; no resumptions', migrate: v1ToV2 },
  { from: 2, to: 3, summary: 'no outside penalty and no time budget, as every run before them trained', migrate: v2ToV3 },
  { from: 3, to: 4, summary: 'the texture model: the config fields of weights version 2 (none of them set), and no exemplar', migrate: v3ToV4 },
  { from: 4, to: 5, summary: 'no detail term, as every run before it trained', migrate: v4ToV5 },
];

function parseState(raw: string | undefined, source: string | undefined): Record<string, unknown> {
  if (raw === undefined) {
    throw new WeightsFormatError('BAD_METADATA', "metadata has no 'state' (the plan and the counters)", source);
  }
  let state: unknown;
  try {
    state = JSON.parse(raw);
  } catch {
    throw new WeightsFormatError('BAD_METADATA', "metadata 'state' is not valid JSON", source);
  }
  if (!isPlainObject(state)) {
    throw new WeightsFormatError('BAD_METADATA', "metadata 'state' must be a JSON object", source);
  }
  return state;
}

const STATE_KEYS = ['plan', 'iteration', 'rng_state', 'adam_t', 'losses', 'seconds', 'resumptions', 'route'];

function parseResumptions(value: unknown, iteration: number, bad: (why: string) => WeightsFormatError): Resumption[] {
  if (!Array.isArray(value)) {
    throw bad('resumptions must be an array');
  }
  return value.map((entry: unknown, k) => {
    if (!isPlainObject(entry) || !isCount(entry.iteration) || entry.iteration > iteration || !isPlainObject(entry.changed) || Object.keys(entry).length !== 2) {
      throw bad(`resumptions[${k}] must be {"iteration" (at most ${iteration}), "changed": {...}}`);
    }
    for (const [key, change] of Object.entries(entry.changed)) {
      if (!isPlainObject(change) || !Object.hasOwn(change, 'from') || !Object.hasOwn(change, 'to') || Object.keys(change).length !== 2) {
        throw bad(`resumptions[${k}].changed.${key} must be {"from", "to"}`);
      }
    }
    return { iteration: entry.iteration, changed: entry.changed as Record<string, SettingChange> };
  });
}

/** A checkpoint's bytes, read back and validated whole; `source` names the file in every error. */
export function decodeCheckpoint(bytes: Uint8Array, source?: string): Checkpoint {
  const container = decodeSafetensors(bytes, { source });
  const format = container.metadata.format;
  if (format !== CHECKPOINT_FORMAT) {
    throw new WeightsFormatError(
      'WRONG_FORMAT',
      format === undefined
        ? `not a checkpoint: metadata has no 'format' (expected "${CHECKPOINT_FORMAT}")`
        : `format is ${JSON.stringify(format)}, expected "${CHECKPOINT_FORMAT}"`,
      source,
    );
  }
  const version = parseFormatVersion(container.metadata.format_version, CHECKPOINT_VERSION, source);
  const { metadata, tensors } = migrate(container, version, CHECKPOINT_VERSION, source, CHECKPOINT_MIGRATIONS);

  const state = parseState(metadata.state, source);
  const bad = (why: string): WeightsFormatError => new WeightsFormatError('BAD_METADATA', `state: ${why}`, source);
  const extra = Object.keys(state).find((key) => !STATE_KEYS.includes(key));
  if (extra !== undefined) {
    throw bad(`unknown field '${extra}'`);
  }
  const plan = parseRunPlan(state.plan, source);
  const { iteration, rng_state: rngState, adam_t: adamT, losses, seconds } = state;
  if (!isCount(iteration) || iteration > MAX_ITERATIONS) {
    throw bad(`iteration must be an integer from 0 to ${MAX_ITERATIONS}, got ${JSON.stringify(iteration)}`);
  }
  if (!isCount(rngState) || rngState > 0xffffffff) {
    throw bad(`rng_state must be a 32-bit unsigned integer, got ${JSON.stringify(rngState)}`);
  }
  if (adamT !== iteration) {
    throw bad(`adam_t ${JSON.stringify(adamT)} must equal the iteration ${iteration} (one update an iteration)`);
  }
  if (!Array.isArray(losses) || losses.length !== iteration || !losses.every((l) => typeof l === 'number' && Number.isFinite(l))) {
    throw bad(`losses must be ${iteration} finite numbers, one per iteration`);
  }
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw bad(`seconds must be a finite number >= 0, got ${JSON.stringify(seconds)}`);
  }
  const resumptions = parseResumptions(state.resumptions, iteration, bad);
  const { route } = state;
  if (route !== null && (typeof route !== 'string' || !/^[a-z]+$/.test(route))) {
    throw bad(`route must be null or a route's name, got ${JSON.stringify(route)}`);
  }

  const expected = expectedTensors(plan);
  for (const name of Object.keys(tensors)) {
    if (!expected.has(name)) {
      throw new WeightsFormatError(
        'BAD_TENSOR_ENTRY',
        `unexpected tensor '${name}' (a plan with pool ${plan.training.pool} has ${[...expected.keys()].join(', ')})`,
        source,
      );
    }
  }
  const values = new Map<string, Float32Array>();
  for (const [name, shape] of expected) {
    const tensor = tensors[name];
    if (tensor === undefined) {
      throw new WeightsFormatError('MISSING_TENSOR', `missing tensor '${name}' (expected F32 ${shapeText(shape)})`, source);
    }
    if (tensor.dtype !== 'F32' || shapeText(tensor.shape) !== shapeText(shape)) {
      throw new WeightsFormatError(
        'BAD_SHAPE',
        `tensor '${name}' is ${tensor.dtype} ${shapeText(tensor.shape)}, the plan needs F32 ${shapeText(shape)}`,
        source,
      );
    }
    const data = bytesToFloat32(tensor.bytes);
    assertFinite(name, data, shape, source);
    values.set(name, data);
  }
  const named = (prefix: string): Float32Array[] => PARAM_NAMES.map((name) => values.get(`${prefix}${name}`)!);
  const params = Object.fromEntries(PARAM_NAMES.map((name) => [name, values.get(`params.${name}`)!])) as unknown as NcaParams;
  return {
    plan,
    iteration,
    rngState,
    params,
    adam: { t: adamT, m: named('adam.m.'), v: named('adam.v.') },
    pool: values.get('pool') ?? null,
    target: values.get('target')!,
    losses: losses as number[],
    seconds,
    resumptions,
    route,
  };
}
