// `nca train`'s plan, settled once, before any side effect: the flags, the preset and the
// defaults merged by core's one rule (overrideSettings), every check run, the worker count and
// the gradient route chosen, all before a target is read, a download starts or a folder is
// claimed. A resumed run takes the changes a run may take between sessions and refuses every
// other flag by name. `nca train`, `nca bench` and the scripts import this module, not a command.
import { availableParallelism } from 'node:os';
import {
  changedSettings,
  overrideSettings,
  PRESETS,
  settleRunLength,
  TEXTURE_LOSS,
  type RunLength,
  type DamageRadius,
  type LrSchedule,
  type PresetName,
  type TrainingSettings,
} from '@nca-studio/core/presets';
import { GRADIENT_ROUTES, TEXTURE_ROUTES, type GradientRoute } from '@nca-studio/core/routes';
import { trainingSettingsProblem, type Checkpoint, type NcaConfig, type Resumption, type RunPlan, type TextureLossName } from '@nca-studio/weights-format';
import type { BackendInfo, BackendName } from '../backends/backend.ts';
import { TRAIN_DEFAULTS } from '../commands/choices.ts';
import { NcaError } from '../errors.ts';
import { targetFromFlags, targetName } from '../images/targetSource.ts';

/** `nca train`'s flags as parsed: undefined where not given (the defaults are TRAIN_DEFAULTS and the preset's). */
export interface TrainFlags {
  target?: string;
  emoji?: string;
  /** A texture's exemplar (file or URL): a texture run (the `texture` preset). */
  texture?: string;
  /** A texture run's loss (core's TEXTURE_LOSS when not given). */
  textureLoss?: TextureLossName;
  background?: string;
  preset?: PresetName | 'auto';
  targetSize?: number;
  padding?: number;
  iterations?: number;
  minutes?: number;
  batch?: number;
  pool?: number;
  reseedEvery?: number;
  damage?: number;
  damageRadius?: DamageRadius;
  steps?: [number, number];
  overflowWeight?: number;
  outsideWeight?: number;
  detailWeight?: number;
  lr?: number;
  lrDecayAt?: number;
  lrDecayFactor?: number;
  lrSchedule?: LrSchedule;
  hidden?: number;
  channels?: number;
  fireRate?: number;
  seed?: number;
  backend?: BackendName;
  out?: string;
  checkpointEvery?: number;
  resume?: string;
  force?: boolean;
  logEvery?: number;
  workers?: number;
  gradient?: GradientRoute;
}

/** Each training setting's flag, for messages that name what to change. */
export const SETTING_FLAGS: Readonly<Record<keyof TrainingSettings, string>> = {
  targetSize: '--target-size',
  padding: '--padding',
  batch: '--batch',
  pool: '--pool',
  reseedEvery: '--reseed-every',
  damaged: '--damage',
  damageRadius: '--damage-radius',
  stepsMin: '--steps',
  stepsMax: '--steps',
  lr: '--lr',
  lrDecayAt: '--lr-decay-at',
  lrDecayFactor: '--lr-decay-factor',
  lrSchedule: '--lr-schedule',
  iterations: '--iterations',
  normalizeGradients: '(no flag)',
  overflowWeight: '--overflow-weight',
  outsideWeight: '--outside-weight',
  detailWeight: '--detail-weight',
  budget: '--minutes',
};

/**
 * What a resumed run may change, and why the rest may not: these steer how the rest of the run
 * goes (its length, its rate, where and how often it saves, the machine it runs on); every other
 * flag defines what the run is (the target, the model, the recipe, the RNG), which the
 * checkpoint's state already embodies.
 */
const RESUMABLE = new Set<keyof TrainFlags>([
  'iterations',
  'minutes',
  'lr',
  'lrDecayAt',
  'lrDecayFactor',
  'lrSchedule',
  'checkpointEvery',
  'workers',
  'logEvery',
  'backend',
  'gradient',
  'resume',
]);

const FLAG_NAMES: Readonly<Record<keyof TrainFlags, string>> = {
  target: '--target',
  emoji: '--emoji',
  texture: '--texture',
  textureLoss: '--texture-loss',
  background: '--background',
  preset: '--preset',
  targetSize: '--target-size',
  padding: '--padding',
  iterations: '--iterations',
  minutes: '--minutes',
  batch: '--batch',
  pool: '--pool',
  reseedEvery: '--reseed-every',
  damage: '--damage',
  damageRadius: '--damage-radius',
  steps: '--steps',
  overflowWeight: '--overflow-weight',
  outsideWeight: '--outside-weight',
  detailWeight: '--detail-weight',
  lr: '--lr',
  lrDecayAt: '--lr-decay-at',
  lrDecayFactor: '--lr-decay-factor',
  lrSchedule: '--lr-schedule',
  hidden: '--hidden',
  channels: '--channels',
  fireRate: '--fire-rate',
  seed: '--seed',
  backend: '--backend',
  out: '--out',
  checkpointEvery: '--checkpoint-every',
  resume: '--resume',
  force: '--force',
  logEvery: '--log-every',
  workers: '--workers',
  gradient: '--gradient',
};

/** The settings the flags override (only those given). */
export function settingOverrides(flags: TrainFlags): Partial<TrainingSettings> {
  const overrides: Partial<TrainingSettings> = {
    targetSize: flags.targetSize,
    padding: flags.padding,
    iterations: flags.iterations,
    batch: flags.batch,
    pool: flags.pool,
    reseedEvery: flags.reseedEvery,
    damaged: flags.damage,
    damageRadius: flags.damageRadius,
    lr: flags.lr,
    overflowWeight: flags.overflowWeight,
    outsideWeight: flags.outsideWeight,
    detailWeight: flags.detailWeight,
    lrDecayAt: flags.lrDecayAt,
    lrDecayFactor: flags.lrDecayFactor,
    lrSchedule: flags.lrSchedule,
    ...(flags.steps === undefined ? {} : { stepsMin: flags.steps[0], stepsMax: flags.steps[1] }),
  };
  return Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
}

/** How long the given settings and `--minutes` ask a run to train (only what is given), and where a resumed one stands. */
function runLength(training: Partial<TrainingSettings>, minutes: number | undefined, from?: RunLength['from']): RunLength {
  const { iterations, lrDecayAt, lrDecayFactor } = training;
  const given: RunLength = { iterations, lrDecayAt, lrDecayFactor, minutes, from };
  return Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
}

/** The model's config the flags override. */
export function configOverrides(flags: TrainFlags): Partial<NcaConfig> {
  const overrides: Partial<NcaConfig> = { hidden: flags.hidden, channels: flags.channels, fireRate: flags.fireRate };
  return Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
}

/**
 * The route a backend trains on unless asked otherwise: the kernel on the CPU backends, the
 * fused WGSL rollout on WebGPU, tfjs on native TensorFlow.
 */
export function gradientRoute(backend: string, requested?: GradientRoute): GradientRoute {
  return requested ?? (backend === 'wasm' || backend === 'cpu' ? 'kernel' : backend === 'webgpu' ? 'webgpu' : 'tfjs');
}

/**
 * Gradient worker threads: the kernel and tfjs's single-threaded CPU backends gain from one per
 * core (never beyond one sample each); tfjs-node and GPUs parallelise inside each op.
 */
export function chooseWorkers(requested: number | undefined, backend: string, route: GradientRoute, batch: number): number {
  if (route === 'webgpu' || (route === 'tfjs' && backend !== 'wasm' && backend !== 'cpu')) {
    return 1;
  }
  if (requested !== undefined && requested > 0) {
    return Math.min(requested, batch);
  }
  return Math.max(1, Math.min(availableParallelism(), batch));
}

/**
 * Without a preset flag, what this machine trains in reasonable time: the article's recipe on a
 * GPU or native TensorFlow, `cpu` (its model and 40 px target in half an hour) where the wasm
 * rollout kernel computes the gradient, `quick` on anything slower.
 */
export function choosePreset(requested: PresetName | 'auto', backend: BackendInfo, route: GradientRoute): PresetName {
  if (requested !== 'auto') {
    return requested;
  }
  if (backend.accelerated) {
    return 'regenerating';
  }
  return route === 'kernel' ? 'cpu' : 'quick';
}

/** Why `auto` chose a preset, in one line. */
function presetNote(preset: PresetName, backend: BackendInfo): string {
  const cpuNote = `${backend.name} is no GPU or native TensorFlow backend; the full regenerating recipe takes hours on a CPU: pass --preset regenerating to run it anyway`;
  return preset === 'regenerating'
    ? `preset: regenerating (${backend.name === 'webgpu' ? 'a WebGPU GPU adapter' : 'the native TensorFlow backend'} is in use)`
    : preset === 'cpu'
      ? `preset: cpu, the article's model and 40 px target in about 30 minutes on 2 cores (${cpuNote})`
      : `preset: quick (${cpuNote}; the tfjs gradient is too slow for the cpu preset)`;
}

/**
 * How the run executes on this machine. The route changes a run's bits (each rounds its own
 * way); the backend only on the tfjs route; the worker count never (the kernel sums per sample).
 */
export interface Execution {
  backend: BackendInfo;
  route: GradientRoute;
  workers: number;
  logEvery: number;
}

/** A new run's plan: everything but the grid's exact size, which the picture's aspect sets. */
export interface NewRun {
  kind: 'new';
  plan: RunPlan;
  /** A texture run's loss, for its plan's exemplar once the exemplar is read. */
  textureLoss: TextureLossName;
  /** The run folder, and whether a run already there is replaced. */
  out: string | undefined;
  force: boolean;
  execution: Execution;
  notes: string[];
}

/** A resumed run: the folder, and the flags' changes still to apply to its checkpoint. */
export interface Resume {
  kind: 'resume';
  dir: string;
  training: Partial<TrainingSettings>;
  /** A new time budget, in minutes of the whole run. */
  minutes?: number;
  checkpointEvery: number | undefined;
  /** The route asked for, if any (else the checkpoint's). */
  gradient: GradientRoute | undefined;
  execution: Omit<Execution, 'workers' | 'route'> & { workers: number | undefined };
  notes: string[];
}

function refuse(message: string): never {
  throw new NcaError('BAD_FLAG', message);
}

/** The flags given (defined), by name. */
function given(flags: TrainFlags): (keyof TrainFlags)[] {
  return (Object.keys(flags) as (keyof TrainFlags)[]).filter((key) => flags[key] !== undefined && flags[key] !== false);
}

/** What a plan is made of before the preset's settings and config fill in the rest. */
export interface PlanRequest {
  preset: PresetName;
  training: Partial<TrainingSettings>;
  /** A time budget in minutes, where asked (with `training`'s iterations and decay point: settleRunLength's rule). */
  minutes?: number;
  config: Partial<NcaConfig>;
  seed: number;
  target: RunPlan['target'];
  targetName: string;
  background?: string;
  checkpointEvery: number;
}

/**
 * A run plan from a preset and overrides, by core's one rule, with the rules between settings
 * checked in the flags' words (BAD_FLAG). `nca train` and `nca bench` plan their runs here.
 */
export function planFromPreset(request: PlanRequest): RunPlan {
  const preset = PRESETS[request.preset];
  const training = settleRunLength(
    overrideSettings(preset.training, request.training),
    runLength(request.training, request.minutes),
    (setting) => SETTING_FLAGS[setting],
  );
  if (typeof training === 'string') {
    refuse(training);
  }
  // Every setting's range and the rules between them, in the flags' words: a plan the CLI
  // accepts is one its checkpoint reader accepts.
  const problem = trainingSettingsProblem(training, (setting) => SETTING_FLAGS[setting]);
  if (problem !== null) {
    refuse(problem);
  }
  const { minutes: _minutes, ...rest } = request;
  return { ...rest, config: { ...preset.config, ...request.config }, training };
}

/**
 * Settles `nca train`'s flags into a plan, with every check that needs no file: the target's
 * flags, the preset and each override, the rules between settings (named by their flags). The
 * backend is already chosen (its kind decides the `auto` preset and the route).
 */
export function settleTrainPlan(flags: TrainFlags, backend: BackendInfo): NewRun | Resume {
  const route = gradientRoute(backend.name, flags.gradient);
  const logEvery = flags.logEvery ?? TRAIN_DEFAULTS.logEvery;
  if (flags.resume !== undefined) {
    const fixed = given(flags).filter((key) => !RESUMABLE.has(key));
    if (fixed.length > 0) {
      refuse(
        `--resume continues a run as its checkpoint defines it: ${fixed.map((key) => FLAG_NAMES[key]).join(', ')} cannot change it ` +
          `(a resumed run takes only ${[...RESUMABLE]
            .filter((key) => key !== 'resume')
            .map((key) => FLAG_NAMES[key])
            .join(', ')}); start a new run with --out instead`,
      );
    }
    return {
      kind: 'resume',
      dir: flags.resume,
      training: settingOverrides(flags),
      ...(flags.minutes === undefined ? {} : { minutes: flags.minutes }),
      checkpointEvery: flags.checkpointEvery,
      gradient: flags.gradient,
      execution: { backend, workers: flags.workers, logEvery },
      notes: [],
    };
  }
  const target = targetFromFlags(flags);
  if (target === undefined) {
    refuse('no target: give --target FILE|URL, --emoji CHAR or --texture FILE|URL (or --resume DIR)');
  }
  const texture = flags.texture !== undefined;
  const requested = flags.preset ?? TRAIN_DEFAULTS.preset;
  if (texture && requested !== 'auto' && requested !== 'texture') {
    refuse(`--texture trains a texture (the texture preset); --preset ${requested} grows a picture: give --target or --emoji for it`);
  }
  if (!texture && flags.textureLoss !== undefined) {
    refuse('--texture-loss chooses the loss of a texture run: give the exemplar with --texture FILE|URL');
  }
  if (!texture && requested === 'texture') {
    refuse('--preset texture trains a texture from an exemplar: give it with --texture FILE|URL');
  }
  if (texture && !TEXTURE_ROUTES.includes(route)) {
    refuse(
      `a texture trains on the ${TEXTURE_ROUTES.join(' or ')} route (its loss enters their backward pass); --gradient ${route} does not run it: tfjs's op-by-op step does not run the texture model's options`,
    );
  }
  const presetName = texture ? 'texture' : choosePreset(requested, backend, route);
  const overrides = settingOverrides(flags);
  const preset = PRESETS[presetName].training;
  // A texture's grid is the preset's torus; a picture's is at most its size + 2 padding on a side.
  const side = texture ? PRESETS.texture.config.gridWidth : (overrides.targetSize ?? preset.targetSize) + 2 * (overrides.padding ?? preset.padding);
  const plan = planFromPreset({
    preset: presetName,
    training: overrides,
    ...(flags.minutes === undefined ? {} : { minutes: flags.minutes }),
    // The grid is at most size + 2 padding on a side; the picture's aspect may make it narrower.
    config: { ...configOverrides(flags), gridWidth: side, gridHeight: side },
    seed: flags.seed ?? TRAIN_DEFAULTS.seed,
    target,
    targetName: targetName(target),
    ...(flags.background === undefined ? {} : { background: flags.background }),
    checkpointEvery: flags.checkpointEvery ?? TRAIN_DEFAULTS.checkpointEvery,
  });
  const { training } = plan;
  return {
    kind: 'new',
    plan,
    textureLoss: flags.textureLoss ?? TEXTURE_LOSS,
    out: flags.out,
    force: flags.force === true,
    execution: { backend, route, workers: chooseWorkers(flags.workers, backend.name, route, training.batch), logEvery },
    notes: (flags.preset ?? 'auto') === 'auto' && !texture ? [presetNote(presetName, backend)] : [],
  };
}

/**
 * The checks that need no backend, run before one is loaded (a named backend that cannot load
 * fails with exit 1, which must not hide a usage error): what a resume refuses, a missing
 * target, and the recipe of a named preset. The `auto` preset's recipe is checked once the
 * backend has chosen it.
 */
export function checkTrainFlags(flags: TrainFlags): void {
  if (flags.resume !== undefined || (flags.preset !== undefined && flags.preset !== 'auto')) {
    settleTrainPlan(flags, { name: 'cpu', detail: '', accelerated: false });
  } else if (targetFromFlags(flags) === undefined) {
    refuse('no target: give --target FILE|URL, --emoji CHAR or --texture FILE|URL (or --resume DIR)');
  }
}

/**
 * A resumed run's plan: the checkpoint's, with the flags' changes applied by the same rule as a
 * new run's and checked the same way, and the resumption to record. A total below the
 * iteration reached is refused: the run cannot go back.
 */
export function resumedPlan(checkpoint: Checkpoint, resume: Resume): { plan: RunPlan; resumption: Resumption; execution: Execution } {
  const before = checkpoint.plan;
  // A new budget keeps a decay that has begun, and projects the new end at the run's mean pace.
  const from = { iteration: checkpoint.iteration, seconds: checkpoint.seconds };
  const training = settleRunLength(
    overrideSettings(before.training, resume.training),
    runLength(resume.training, resume.minutes, from),
    (setting) => SETTING_FLAGS[setting],
  );
  if (typeof training === 'string') {
    refuse(training);
  }
  if (resume.minutes !== undefined && training.budget !== null && checkpoint.seconds >= training.budget.minutes * 60) {
    refuse(
      `--minutes ${resume.minutes}: the run in ${resume.dir} has already trained ${(checkpoint.seconds / 60).toFixed(1)} minutes; give a budget longer than that`,
    );
  }
  if (training.iterations < checkpoint.iteration) {
    refuse(`--iterations ${training.iterations}: the run in ${resume.dir} is already at iteration ${checkpoint.iteration}; give a total of at least that`);
  }
  // Every setting's range and the rules between them, in the flags' words.
  const problem = trainingSettingsProblem(training, (setting) => SETTING_FLAGS[setting]);
  if (problem !== null) {
    refuse(problem);
  }
  const plan: RunPlan = { ...before, training, checkpointEvery: resume.checkpointEvery ?? before.checkpointEvery };
  const changed = changedSettings(before.training, training);
  if (plan.checkpointEvery !== before.checkpointEvery) {
    changed.checkpointEvery = { from: before.checkpointEvery, to: plan.checkpointEvery };
  }
  // The route the run trained on, unless asked otherwise: another route rounds differently.
  const { backend } = resume.execution;
  const stored = (GRADIENT_ROUTES as readonly string[]).includes(checkpoint.route ?? '') ? (checkpoint.route as GradientRoute) : null;
  const route = resume.gradient ?? stored ?? gradientRoute(backend.name);
  if (stored !== null && route !== stored) {
    changed.route = { from: stored, to: route };
  }
  return {
    plan,
    resumption: { iteration: checkpoint.iteration, changed },
    execution: { ...resume.execution, route, workers: chooseWorkers(resume.execution.workers, backend.name, route, training.batch) },
  };
}
