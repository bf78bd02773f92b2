// What a training run was asked to do, as a checkpoint stores it: the model's config, the
// recipe's settings, the seed and where the target came from. The types and their checks live
// here, beside the checkpoint file that carries them, so that a plan settled from flags (the
// CLI), from a form (the page) and one read back from a file pass the same rules.
import { DEFAULT_CONFIG, validateConfig, type NcaConfig } from './config.ts';
import { WeightsFormatError } from './errors.ts';
import { isCount, isPlainObject } from './json.ts';

export type LrSchedule = 'step' | 'linear';

/** A range of damage disc radii, as fractions of the grid's shorter side. */
export interface DamageRadius {
  min: number;
  max: number;
}

/** How a model is trained (docs/design.md, "Training"); the model's own behaviour lives in `NcaConfig`. */
export interface TrainingSettings {
  /** Longest side of the target after shrinking, in cells. */
  targetSize: number;
  /** Empty cells added on each side of the target. */
  padding: number;
  batch: number;
  /** Sample pool size; 0 trains every batch from fresh seeds. */
  pool: number;
  /**
   * Iterations between re-seedings of a batch's worst sample (the article: 1). A sample then
   * lives longer in the pool, so training sees older states: what teaches a model to persist.
   */
  reseedEvery: number;
  /** How many of the best pool samples in a batch are damaged. */
  damaged: number;
  /** Radius of the damage disc, drawn uniformly from this range. */
  damageRadius: DamageRadius;
  /** CA steps per iteration, drawn uniformly from [stepsMin, stepsMax] inclusive. */
  stepsMin: number;
  stepsMax: number;
  lr: number;
  /** Iteration at which the learning rate starts to fall; null for never. */
  lrDecayAt: number | null;
  lrDecayFactor: number;
  /**
   * How it falls from `lrDecayAt`: 'step' multiplies it by `lrDecayFactor` at once (the
   * article's piecewise constant rate); 'linear' lowers it in a straight line to lr x
   * `lrDecayFactor` at the last iteration.
   */
  lrSchedule: LrSchedule;
  iterations: number;
  /** Divide each variable's gradient by its own L2 norm (+1e-8). */
  normalizeGradients: boolean;
  /**
   * Weight of the overflow penalty: the mean square of the state's excess beyond [-1, 1], over
   * all channels, added to the loss. 0 (the article) adds nothing.
   */
  overflowWeight: number;
  /**
   * Weight of the outside penalty: the mean square of every channel of the cells where the
   * target's alpha is 0, added to the loss, so that no haze of living cells spreads around the
   * picture. 0 adds nothing.
   */
  outsideWeight: number;
  /**
   * Weight of the detail term: the squared difference between neighbouring cells' RGBA errors
   * (the error of the picture's steps from cell to cell), summed over each pair of 4-neighbours
   * and averaged as the RGBA error is. The plain error is mostly the picture's broad areas; this
   * term is its edges and features a few cells wide. 0 adds nothing.
   */
  detailWeight: number;
  /**
   * A time budget instead of an iteration count, or null. While it runs, the rate stays at `lr`
   * (`lrDecayAt` null, `iterations` the cap); when the run's time reaches `decayAt` of the budget,
   * the decay begins at that iteration and the last iteration is projected from the recent pace
   * to end at the budget, both written into the plan: re-running with those two numbers repeats
   * the run bit for bit.
   */
  budget: TimeBudget | null;
}

/** A run's time budget: minutes of training, and the fraction of them after which the rate falls. */
export interface TimeBudget {
  minutes: number;
  decayAt: number;
}

/**
 * Where a run's target picture came from: a file, a URL or an emoji (the CLI), or a picture
 * dropped on a page. Resuming never reads it again: the checkpoint holds the target itself.
 */
export type TargetSource = { kind: 'file'; path: string } | { kind: 'url'; url: string } | { kind: 'emoji'; char: string } | { kind: 'picture'; name: string };

/** What a run was asked to do: enough to continue it from a checkpoint alone. */
export interface RunPlan {
  preset: string;
  config: NcaConfig;
  training: TrainingSettings;
  seed: number;
  target: TargetSource;
  targetName: string;
  background?: string;
  checkpointEvery: number;
  /**
   * A texture run's exemplar size in pixels (its target tensor's) and the loss it is matched by
   * (docs/design.md §4.9; absent: 'patches', the loss of the first texture runs); absent for a
   * growing run.
   */
  exemplar?: ExemplarPlan;
}

/**
 * How a texture run's loss compares a state with the exemplar: 3x3 patches; patches and
 * random-network features; or patches and the grey level's Fourier modulus.
 */
export type TextureLossName = 'patches' | 'features' | 'spectrum';
export const TEXTURE_LOSS_NAMES: readonly TextureLossName[] = ['patches', 'features', 'spectrum'];

export interface ExemplarPlan {
  width: number;
  height: number;
  loss?: TextureLossName;
}

/** The largest iteration count a plan may ask for: a run of 1e9 iterations is a typo. */
export const MAX_ITERATIONS = 100_000_000;

/** The most CA steps one iteration may roll out. */
export const MAX_STEPS = 100_000;

type Check = (value: unknown) => boolean;
const integerIn = (min: number, max: number): [Check, string] => [(v) => isCount(v) && v >= min && v <= max, `an integer from ${min} to ${max}`];
const positive: [Check, string] = [(v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a finite number > 0'];
const fraction: [Check, string] = [(v) => typeof v === 'number' && v >= 0 && v <= 1, 'a number from 0 to 1'];
const weight: [Check, string] = [(v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, 'a finite number >= 0'];
/** The longest budget a plan may ask for (a week), and the shortest (under a second is no run). */
export const MAX_BUDGET_MINUTES = 7 * 24 * 60;
export const MIN_BUDGET_MINUTES = 0.01;
const budget: [Check, string] = [
  (v) =>
    v === null ||
    (isPlainObject(v) &&
      Object.keys(v).length === 2 &&
      typeof v.minutes === 'number' &&
      v.minutes >= MIN_BUDGET_MINUTES &&
      v.minutes <= MAX_BUDGET_MINUTES &&
      typeof v.decayAt === 'number' &&
      v.decayAt >= 0 &&
      v.decayAt <= 1),
  `null or {"minutes", "decayAt"} with ${MIN_BUDGET_MINUTES} <= minutes <= ${MAX_BUDGET_MINUTES} and 0 <= decayAt <= 1`,
];
const radius: [Check, string] = [
  (v) =>
    isPlainObject(v) && Object.keys(v).length === 2 && typeof v.min === 'number' && typeof v.max === 'number' && v.min > 0 && v.min <= v.max && v.max <= 0.5,
  '{"min", "max"} with 0 < min <= max <= 0.5',
];

/** Each setting and what it must be: the one statement of a valid recipe, for flags, forms and files. */
const SETTINGS: { [K in keyof TrainingSettings]: [Check, string] } = {
  targetSize: integerIn(1, 2048),
  padding: integerIn(0, 1024),
  batch: integerIn(1, 1024),
  pool: integerIn(0, 1 << 20),
  reseedEvery: integerIn(1, 1_000_000),
  damaged: integerIn(0, 1024),
  damageRadius: radius,
  stepsMin: integerIn(1, MAX_STEPS),
  stepsMax: integerIn(1, MAX_STEPS),
  lr: positive,
  lrDecayAt: [(v) => v === null || isCount(v), 'null or an iteration (an integer >= 0)'],
  lrDecayFactor: fraction,
  lrSchedule: [(v) => v === 'step' || v === 'linear', '"step" or "linear"'],
  iterations: integerIn(1, MAX_ITERATIONS),
  normalizeGradients: [(v) => typeof v === 'boolean', 'true or false'],
  overflowWeight: weight,
  outsideWeight: weight,
  detailWeight: weight,
  budget,
};

export const TRAINING_SETTING_NAMES = Object.keys(SETTINGS) as (keyof TrainingSettings)[];

/**
 * What is wrong with a recipe whose settings each have the right type: the rules that tie two
 * settings together, in the caller's words for them (a flag, a form field, a file's key); null
 * when nothing is.
 */
export function recipeProblem(training: TrainingSettings, say: (setting: keyof TrainingSettings) => string = (s) => s): string | null {
  if (training.stepsMin > training.stepsMax) {
    return `${say('stepsMin')}: minimum ${training.stepsMin} is above maximum ${training.stepsMax}`;
  }
  if (training.pool > 0 && training.pool < training.batch) {
    return `${say('pool')} ${training.pool} is smaller than ${say('batch')} ${training.batch}`;
  }
  if (training.pool > 0 && training.damaged >= training.batch) {
    return `${say('damaged')} ${training.damaged} must be below ${say('batch')} ${training.batch} (the worst sample is re-seeded)`;
  }
  return null;
}

/** Checks every setting's type and range and the rules between them; `say` names a setting in messages. */
export function trainingSettingsProblem(value: unknown, say: (setting: keyof TrainingSettings) => string = (s) => s): string | null {
  if (!isPlainObject(value)) {
    return 'the training settings must be a JSON object';
  }
  const unknown = Object.keys(value).find((key) => !Object.hasOwn(SETTINGS, key));
  if (unknown !== undefined) {
    return `unknown training setting '${unknown}'`;
  }
  for (const name of TRAINING_SETTING_NAMES) {
    const [check, expected] = SETTINGS[name];
    if (!Object.hasOwn(value, name)) {
      return `${say(name)} is missing`;
    }
    if (!check(value[name])) {
      return `${say(name)} must be ${expected}, got ${JSON.stringify(value[name]) ?? String(value[name])}`;
    }
  }
  return recipeProblem(value as unknown as TrainingSettings, say);
}

function targetSourceProblem(value: unknown): string | null {
  if (!isPlainObject(value)) {
    return 'target must be a JSON object';
  }
  const field = { file: 'path', url: 'url', emoji: 'char', picture: 'name' }[String(value.kind)];
  if (field === undefined || Object.keys(value).length !== 2 || typeof value[field] !== 'string') {
    return `target must be {"kind": "file"|"url"|"emoji"|"picture"} with its one string field, got ${JSON.stringify(value)}`;
  }
  return null;
}

const CONFIG_KEYS = Object.keys(DEFAULT_CONFIG);

/**
 * Reads a plan as stored (JSON parsed): every field present with the right type, nothing
 * unknown, the config by the weights file's rules. Throws BAD_PLAN (or BAD_CONFIG) naming `source`.
 */
export function parseRunPlan(value: unknown, source?: string): RunPlan {
  const bad = (why: string): WeightsFormatError => new WeightsFormatError('BAD_PLAN', `plan: ${why}`, source);
  if (!isPlainObject(value)) {
    throw bad('must be a JSON object');
  }
  const known = ['preset', 'config', 'training', 'seed', 'target', 'targetName', 'background', 'checkpointEvery', 'exemplar'];
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    throw bad(`unknown field '${unknown}'`);
  }
  const { preset, config, training, seed, target, targetName, background, checkpointEvery, exemplar } = value;
  if (typeof preset !== 'string' || preset === '') {
    throw bad(`preset must be a name, got ${JSON.stringify(preset)}`);
  }
  if (!isPlainObject(config)) {
    throw bad('config must be a JSON object');
  }
  const configKey = [...Object.keys(config).filter((k) => !CONFIG_KEYS.includes(k)), ...CONFIG_KEYS.filter((k) => !Object.hasOwn(config, k))][0];
  if (configKey !== undefined) {
    throw bad(`config ${Object.hasOwn(config, configKey) ? 'has an unknown field' : 'is missing'} '${configKey}'`);
  }
  const checkedConfig = validateConfig(config as unknown as NcaConfig, source === undefined ? {} : { source });
  const settings = trainingSettingsProblem(training, (s) => `training.${s}`);
  if (settings !== null) {
    throw bad(settings);
  }
  if (!isCount(seed) || seed > 0xffffffff) {
    throw bad(`seed must be an integer from 0 to 4294967295, got ${JSON.stringify(seed)}`);
  }
  const targetProblem = targetSourceProblem(target);
  if (targetProblem !== null) {
    throw bad(targetProblem);
  }
  if (typeof targetName !== 'string') {
    throw bad('targetName must be a string');
  }
  if (background !== undefined && typeof background !== 'string') {
    throw bad('background must be a string');
  }
  if (!isCount(checkpointEvery) || checkpointEvery < 1) {
    throw bad(`checkpointEvery must be an integer >= 1, got ${JSON.stringify(checkpointEvery)}`);
  }
  const side = (v: unknown): boolean => isCount(v) && v >= 6 && v <= 2048;
  if (
    exemplar !== undefined &&
    !(
      isPlainObject(exemplar) &&
      side(exemplar['width']) &&
      side(exemplar['height']) &&
      Object.keys(exemplar).every((key) => ['width', 'height', 'loss'].includes(key)) &&
      (exemplar['loss'] === undefined || (TEXTURE_LOSS_NAMES as readonly unknown[]).includes(exemplar['loss']))
    )
  ) {
    throw bad(
      `exemplar must be {width, height[, loss]}, each side an integer from 6 to 2048, loss one of ${TEXTURE_LOSS_NAMES.map((n) => `"${n}"`).join(', ')}, got ${JSON.stringify(exemplar)}`,
    );
  }
  if ((exemplar !== undefined) !== (checkedConfig.start === 'zeros')) {
    throw bad(
      exemplar === undefined ? 'a texture run (config start "zeros") needs its exemplar size' : 'an exemplar belongs to a texture run (config start "zeros")',
    );
  }
  return {
    preset,
    config: checkedConfig,
    training: training as unknown as TrainingSettings,
    seed,
    target: target as TargetSource,
    targetName,
    ...(background === undefined ? {} : { background }),
    checkpointEvery,
    ...(exemplar === undefined ? {} : { exemplar: exemplar as unknown as ExemplarPlan }),
  };
}
