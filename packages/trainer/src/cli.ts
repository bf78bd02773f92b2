// The `nca` command: flags parsed and checked here (once, at the edge), then the one command
// asked for is imported and run. Nothing here loads tfjs or sharp, so `nca inspect` and
// `nca --help` start without them.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { DamageRadius, TrainingSettings } from '@nca-studio/weights-format';
import { DEFAULT_DECAY_AT, PRESETS, TEXTURE_LOSS } from '@nca-studio/core/presets';
import {
  GRID_SIDE,
  MAX_BUDGET_MINUTES,
  MIN_BUDGET_MINUTES,
  MAX_ITERATIONS,
  MAX_STEPS,
  parseGridSize,
  TEXTURE_LOSS_NAMES,
  type NcaConfig,
} from '@nca-studio/weights-format';
import { BACKEND_NAMES, GRADIENT_ROUTES, type GradientRoute } from './backends/names.ts';
import { BENCH_DEFAULTS, CONVERT_FORMATS, EXPORT_FORMATS, parseDamage, TRAIN_DEFAULTS, type DamageSpec } from './commands/choices.ts';
import type { CommandIo } from './commands/io.ts';
import { errorExitCode, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './errors.ts';

/** Flag parsers: validate once at the edge, with a message naming the flag. */
const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (text: string): number => {
    const n = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}, got "${text}"`);
    }
    return n;
  };
const number =
  (min: number, max: number) =>
  (text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a number from ${min} to ${max}, got "${text}"`);
    }
    return n;
  };

/** "MIN..MAX" or one number (MIN = MAX), each matching `number`; null when malformed. */
function splitRange(text: string, number: string): [number, number] | null {
  const m = new RegExp(`^(${number})(?:\\.\\.(${number}))?$`).exec(text.trim());
  return m ? [Number(m[1]), Number(m[2] ?? m[1])] : null;
}

const stepRange = (text: string): [number, number] => {
  const range = splitRange(text, '\\d+');
  if (!range) {
    throw new InvalidArgumentError(`expected MIN..MAX (e.g. 64..95) or one number, got "${text}"`);
  }
  const [lo, hi] = range;
  if (lo < 1 || hi < lo || hi > MAX_STEPS) {
    throw new InvalidArgumentError(`expected 1 <= MIN <= MAX <= ${MAX_STEPS}, got "${text}"`);
  }
  return [lo, hi];
};

const fractionRange = (text: string): DamageRadius => {
  const range = splitRange(text, '\\d*\\.?\\d+');
  if (!range || range[0] <= 0 || range[1] < range[0] || range[1] > 0.5) {
    throw new InvalidArgumentError(`expected MIN..MAX fractions of the grid with 0 < MIN <= MAX <= 0.5 (e.g. 0.1..0.3), got "${text}"`);
  }
  return { min: range[0], max: range[1] };
};

const perPreset = (pick: (t: TrainingSettings, c: NcaConfig) => unknown): string =>
  `default per preset: ${Object.values(PRESETS)
    .map((p) => `${p.name} ${String(pick(p.training, p.config))}`)
    .join(', ')}`;

/**
 * The CLI's commands and flags. Each action imports its command's module when it runs and
 * returns the exit code; `exit` receives it.
 */
export function buildProgram(io: CommandIo, exit: (code: number) => void = () => {}): Command {
  const program = new Command('nca')
    .description('Growing Neural Cellular Automata: train, inspect and run models')
    .option('--debug', 'show stack traces of errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => io.error(s.trimEnd()), writeOut: (s) => io.log(s.trimEnd()) })
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('train')
    .description('train a model on an image (docs/design.md, "Training"); writes a run folder')
    .option('--target <file|url>', 'target image: PNG, JPEG, WebP or SVG file, or an http(s) URL')
    .option('--emoji <char>', 'target emoji from the bundled Noto images, e.g. 🦎')
    .option('--texture <file|url>', 'train a texture (the texture preset) from this exemplar picture instead of growing a target')
    .addOption(
      new Option(
        '--texture-loss <name>',
        `a texture's loss: 3x3 patches; patches and a fixed random network's features; or patches and the grey level's Fourier modulus (docs/design.md §4.9; default ${TEXTURE_LOSS})`,
      ).choices(TEXTURE_LOSS_NAMES as string[]),
    )
    .option('--background <colour>', 'key out a flat background (white, black or #rrggbb) for images without transparency')
    .addOption(
      new Option(
        '--preset <name>',
        'training recipe (default auto: regenerating on a GPU or native TensorFlow, cpu where the wasm rollout kernel trains, quick otherwise)',
      ).choices(['auto', ...Object.keys(PRESETS)]),
    )
    .option('--target-size <n>', `longest side of the target in cells (${perPreset((t) => t.targetSize)})`, integer(4, 1024))
    .option('--padding <n>', `empty cells around the target (${perPreset((t) => t.padding)})`, integer(0, 512))
    .option('--iterations <n>', `training iterations (${perPreset((t) => (t.budget === null ? t.iterations : 'by time'))})`, integer(1, MAX_ITERATIONS))
    .option(
      '--minutes <m>',
      `train for M minutes of this machine's time: the rate falls from ${Math.round(DEFAULT_DECAY_AT * 100)}% of them, and the last iteration is projected from the pace to end in time (${perPreset((t) => (t.budget === null ? 'by iterations' : `${t.budget.minutes} minutes`))})`,
      number(MIN_BUDGET_MINUTES, MAX_BUDGET_MINUTES),
    )
    .option('--batch <n>', `samples per iteration (${perPreset((t) => t.batch)})`, integer(1, 1024))
    .option('--pool <n>', `sample pool size, 0 for none (${perPreset((t) => t.pool)})`, integer(0, 1 << 20))
    .option('--reseed-every <n>', `re-seed the batch's worst sample every N iterations (${perPreset((t) => t.reseedEvery)})`, integer(1, 1_000_000))
    .option('--damage <n>', `damaged samples per batch (${perPreset((t) => t.damaged)})`, integer(0, 1024))
    .option(
      '--damage-radius <min..max>',
      `radius of the damage discs as a fraction of the grid (${perPreset((t) => `${t.damageRadius.min}..${t.damageRadius.max}`)})`,
      fractionRange,
    )
    .option('--steps <min..max>', `CA steps per iteration (${perPreset((t) => `${t.stepsMin}..${t.stepsMax}`)})`, stepRange)
    .option('--overflow-weight <w>', `weight of the penalty on state values beyond [-1, 1], 0 for none (${perPreset((t) => t.overflowWeight)})`, number(0, 1e6))
    .option(
      '--outside-weight <w>',
      `weight of the penalty on every channel of the cells outside the picture (alpha 0), which keeps a haze from spreading around it; 0 for none (${perPreset((t) => t.outsideWeight)})`,
      number(0, 1e6),
    )
    .option(
      '--detail-weight <w>',
      `weight of the detail term, the error of the picture's steps between neighbouring cells, which sharpens edges and small features; 0 for none (${perPreset((t) => t.detailWeight)})`,
      number(0, 1e6),
    )
    .option('--lr <rate>', `Adam learning rate (${perPreset((t) => t.lr)})`, number(1e-9, 1))
    .option(
      '--lr-decay-at <n>',
      `iteration where the rate starts to fall (${perPreset((t) => (t.budget !== null ? `${Math.round(t.budget.decayAt * 100)}% of the time` : (t.lrDecayAt ?? 'never')))})`,
      integer(0),
    )
    .option('--lr-decay-factor <f>', `what the rate falls to, as a fraction of --lr (${perPreset((t) => t.lrDecayFactor)})`, number(0, 1))
    .addOption(
      new Option(
        '--lr-schedule <kind>',
        `step: the rate drops at once at --lr-decay-at; linear: it falls in a straight line from there to the last iteration (with --resume and a new --iterations total, the line stretches to it) (${perPreset((t) => t.lrSchedule)})`,
      ).choices(['step', 'linear']),
    )
    .option('--hidden <n>', `hidden units of the update rule (${perPreset((_, c) => c.hidden)})`, integer(1, 1024))
    .option('--channels <n>', `state channels (${perPreset((_, c) => c.channels)})`, integer(4, 64))
    .option('--fire-rate <p>', `stochastic update probability (${perPreset((_, c) => c.fireRate)})`, number(0, 1))
    .option('--seed <n>', `random seed (default ${TRAIN_DEFAULTS.seed})`, integer(0, 2 ** 32 - 1))
    .addOption(new Option('--backend <name>', `compute backend (default ${TRAIN_DEFAULTS.backend})`).choices(BACKEND_NAMES as string[]))
    .option('--out <dir>', 'run folder (default runs/<target>-<timestamp>)')
    .option('--checkpoint-every <n>', `write a checkpoint every N iterations (default ${TRAIN_DEFAULTS.checkpointEvery})`, integer(1))
    .option(
      '--resume <dir>',
      'continue the run in DIR from its checkpoint; it may change --iterations (the new total), --lr, --lr-decay-at, --lr-decay-factor, --lr-schedule, --checkpoint-every, --workers, --backend, --gradient (default: the route the run trained on) and --log-every, and refuses any other flag',
    )
    .option('--force', 'replace the run that --out already holds (without it, that is refused)')
    .option('--log-every <n>', `when not on a terminal, print a line every N iterations (default ${TRAIN_DEFAULTS.logEvery})`, integer(1))
    .option('--workers <n>', 'gradient worker threads for the kernel and tfjs on the CPU backends (default 0: one per core, up to the batch)', integer(0, 256))
    .addOption(gradientOption())
    .action(async (flags) => exit(await (await import('./commands/train.ts')).trainCommand(flags, io)));

  program
    .command('inspect')
    .description("print a model file's config, metadata, parameter count and size, or a checkpoint's iteration, settings and pool")
    .argument('<file>', 'a .safetensors weights file, a checkpoint, or a run folder')
    .option('--json', 'print JSON')
    .action(async (path: string, flags) => exit(await (await import('./commands/inspect.ts')).inspectCommand(path, flags, io)));

  program
    .command('convert')
    .description(
      'convert a model between formats: --from distill|distill-textures|torch into NCA weights files, --to torch from one, or --quantize u8|f16 into a smaller one',
    )
    .argument('<input>', 'the model to convert (with --all: a folder of them; with --from distill-textures: models.json)')
    .argument('<output>', 'the file to write: .safetensors, or with --to torch .pt or .safetensors (with --all or --from distill-textures: a folder)')
    .addOption(
      new Option(
        '--from <format>',
        "format of the input (a Distill .json, the texture article's models.json, or a PyTorch notebook state dict .pt / .safetensors)",
      ).choices([...CONVERT_FORMATS]),
    )
    .addOption(new Option('--to <format>', "write an NCA weights file as the PyTorch notebook's state dict").choices([...EXPORT_FORMATS]).conflicts('from'))
    .option('--all', 'convert every *.json of the INPUT folder into the OUTPUT folder, with an index.json manifest (--from distill)')
    .addOption(
      new Option('--quantize <form>', 'write the weights smaller: u8 (8 bits, a scale and offset per tensor), f16 (half floats) or f32 (the default)').choices([
        'u8',
        'f16',
        'f32',
      ]),
    )
    .action(async (input: string, output: string, flags) => exit(await (await import('./commands/convert.ts')).convertCommand(input, output, flags, io)));

  program
    .command('render')
    .description(
      "run a model from its start (the seed, a texture's zeros, or --init) on the CPU (core's rollout kernel) and write the final frame, a GIF or the state",
    )
    .argument('<model>', 'a .safetensors weights file')
    .option('--steps <n>', 'CA steps', integer(0, 1_000_000), 300)
    .option('--size <WxH>', "grid size (default the model's)", size)
    .option('--fire-rate <p>', "stochastic update probability, overrides the model's (1: deterministic)", number(0, 1))
    .option('--seed <n>', 'random seed of the fire masks', integer(0, 2 ** 32 - 1), 1)
    .option('--damage <X,Y,R@STEP>', 'erase a disc of radius R at (X, Y) after STEP steps (repeatable)', damage)
    .option('--png <file>', 'write the final frame, upscaled, colour over white')
    .option('--gif <file>', 'write the growth animation')
    .option('--gif-every <n>', 'steps between GIF frames (default: about 100 frames)', integer(1))
    .option('--state <file.npy>', 'write the final state: float32 [H, W, C] in NumPy .npy format')
    .option('--init <file.npy>', "start from this state (float32 [H, W, C], e.g. one --state wrote) instead of the model's start")
    .option('--scale <n>', 'upscale factor of the PNG and GIF', integer(1, 64), 4)
    .action(async (model: string, flags) => exit(await (await import('./commands/render.ts')).renderCommand(model, flags, io)));

  program
    .command('bench')
    .description('time training iterations and print cell_steps_per_s (with the PyTorch baseline side by side when torch is installed)')
    .addOption(new Option('--preset <name>', 'model and recipe').choices(Object.keys(PRESETS)).default(BENCH_DEFAULTS.preset))
    .addOption(new Option('--backend <name>', 'compute backend').choices(BACKEND_NAMES as string[]).default('auto'))
    .option('--size <n>', `grid side in cells, target px = size - 2 x padding (${perPreset((_, c) => c.gridWidth)})`, integer(3, 1024))
    .option('--padding <n>', `empty cells on each side (${perPreset((t) => t.padding)}, at most size/4)`, integer(0, 512))
    .option('--batch <n>', `samples per iteration (${perPreset((t) => t.batch)})`, integer(1, 1024))
    .option('--hidden <n>', `hidden units of the update rule (${perPreset((_, c) => c.hidden)})`, integer(1, 1024))
    .option('--steps <n>', 'CA steps of every iteration', integer(1, 10_000), BENCH_DEFAULTS.steps)
    .option('--iterations <n>', 'iterations, the first a warm-up that is not timed', integer(2), BENCH_DEFAULTS.iterations)
    .option('--no-torch', 'do not run ../shared/bench/torch_baseline.py')
    .option('--profile', 'profile one more iteration with tf.profile and print the top kernels (kernels of worker threads are not seen: use --workers 1)')
    .option('--workers <n>', 'gradient worker threads, as for nca train (0: one per core, up to the batch)', integer(0, 256), 0)
    .addOption(gradientOption())
    .addOption(
      new Option('--mode <mode>', 'batches from seeds (a fresh run), from a pool of grown patterns (mid-run), or both in turn')
        .choices(['seed', 'pool', 'both'])
        .default('both'),
    )
    .option(
      '--compare <routes>',
      `other gradient routes timed after ours on the same run, comma-separated (${GRADIENT_ROUTES.join(', ')}, or none; default on webgpu: tfjs,kernel)`,
      routeList,
    )
    .option('--json', 'print the result as JSON (progress goes to stderr)')
    .action(async (flags) => exit(await (await import('./commands/bench.ts')).benchCommand(flags, io)));

  program
    .command('eval')
    .description("measure growth, persistence, regrowth and detail of a model against its stored target (on core's rollout kernel)")
    .argument('<model>', 'a .safetensors weights file that stores its target (nca train writes one)')
    .option('--seeds <n>', 'independent runs averaged', integer(1, 256), 8)
    .option('--persistence-steps <n>', 'steps for the persistence figure', integer(1, 1_000_000), 1000)
    .option('--seed <n>', 'random seed', integer(0, 2 ** 32 - 1), 1)
    .option('--emoji <char>', 'compare with this emoji instead (for models that store no target, e.g. converted Distill ones)')
    .option('--target <file|url>', 'compare with this image instead (same use)')
    .option('--padding <n>', 'with --emoji/--target: empty cells around the target, which fills the rest of the grid', integer(0, 512), 16)
    .option('--json', 'print one JSON object')
    .action(async (path: string, flags) => exit(await (await import('./commands/evaluate.ts')).evalCommand(path, flags, io)));

  return program;
}

const gradientOption = (): Option =>
  new Option(
    '--gradient <route>',
    "how the gradient is computed: kernel (core's wasm rollout kernel; default on the CPU backends), webgpu (core's fused WGSL rollout; default on webgpu) or tfjs (op by op on the backend; default on tensorflow)",
  ).choices([...GRADIENT_ROUTES]);

const routeList = (text: string): GradientRoute[] => {
  if (text === 'none') {
    return [];
  }
  const routes = text.split(',').map((r) => r.trim());
  const unknown = routes.filter((r) => !(GRADIENT_ROUTES as readonly string[]).includes(r));
  if (unknown.length > 0 || routes.length === 0) {
    throw new InvalidArgumentError(`expected gradient routes from ${GRADIENT_ROUTES.join(', ')} separated by commas, or none; got "${text}"`);
  }
  return routes as GradientRoute[];
};
const size = (text: string): { width: number; height: number } => {
  const grid = parseGridSize(text);
  if (grid === null) {
    throw new InvalidArgumentError(`expected WxH with each side from ${GRID_SIDE.min} to ${GRID_SIDE.max} (e.g. 72x72), got "${text}"`);
  }
  return grid;
};
const damage = (text: string, previous: DamageSpec[] | undefined): DamageSpec[] => {
  const disc = parseDamage(text);
  if (disc === null) {
    throw new InvalidArgumentError(`expected X,Y,R@STEP (e.g. 36,36,12@300), got "${text}"`);
  }
  return [...(previous ?? []), disc];
};

/**
 * Runs the CLI and returns the exit code (docs/design.md §6): 0 success, 1 runtime failure, 2 bad usage
 * or input (errorExitCode's table). User errors are one line; `--debug` adds the stack.
 */
export async function main(argv: string[], io: CommandIo = { log: (l) => console.log(l), error: (l) => console.error(l) }): Promise<number> {
  const debug = argv.includes('--debug');
  let code = EXIT_OK;
  const program = buildProgram(io, (returned) => (code = returned));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; anything else commander rejects is bad usage.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const expected = errorExitCode(error);
    if (expected !== null) {
      io.error(`nca: ${(error as Error).message}`);
      if (debug) {
        io.error((error as Error).stack ?? '');
      }
      return expected;
    }
    io.error(`nca: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
    if (debug) {
      io.error(error instanceof Error ? (error.stack ?? '') : '');
    } else {
      io.error('(run with --debug for details)');
    }
    return EXIT_FAILURE;
  }
}
