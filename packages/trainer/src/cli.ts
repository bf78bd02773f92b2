import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { BudgetError, isPresetName, PRESETS, type DamageRadius, type NcaConfig, type PresetName, type TrainingSettings } from '@nca-studio/core';
import { WeightsFormatError } from '@nca-studio/weights-format';
import { BACKEND_NAMES, selectBackend, type BackendName } from './backend.ts';
import { BENCH_DEFAULTS, benchTrainer, formatBench } from './bench.ts';
import { CONVERT_FORMATS, convert, convertFolder, EXPORT_FORMATS, exportModel, formatConversion, type ConvertFormat, type ExportFormat } from './convert.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, NcaError } from './errors.ts';
import { evaluate, formatEval } from './evaluate.ts';
import { formatInspection, inspect, inspectionJson, loadModel } from './inspect.ts';
import { parseDamage, parseSize, render, type DamageSpec } from './render.ts';
import { loadTarget, type TargetSource } from './target.ts';
import { train } from './train.ts';

/** Flag parsers: validate once at the edge (STYLE.md), with a message naming the flag. */
const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => (text: string): number => {
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || n < min || n > max) {
    throw new InvalidArgumentError(`expected an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}, got "${text}"`);
  }
  return n;
};
const number = (min: number, max: number) => (text: string): number => {
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
  if (lo < 1 || hi < lo) {
    throw new InvalidArgumentError(`expected 1 <= MIN <= MAX, got "${text}"`);
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

export function buildProgram(run: { log: (line: string) => void; error: (line: string) => void }): Command {
  const program = new Command('nca')
    .description('Growing Neural Cellular Automata: train, inspect and run models')
    .option('--debug', 'show stack traces of errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => run.error(s.trimEnd()), writeOut: (s) => run.log(s.trimEnd()) })
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('train')
    .description('train a model on an image (SPEC §4); writes a run folder')
    .option('--target <file|url>', 'target image: PNG, JPEG, WebP or SVG file, or an http(s) URL')
    .option('--emoji <char>', 'target emoji from the bundled Noto images, e.g. 🦎')
    .option('--background <colour>', 'key out a flat background (white, black or #rrggbb) for images without transparency')
    .addOption(
      new Option('--preset <name>', 'training recipe (default: quick on the CPU backends, regenerating on native TensorFlow)').choices(['auto', ...Object.keys(PRESETS)]).default('auto'),
    )
    .option('--target-size <n>', `longest side of the target in cells (${perPreset((t) => t.targetSize)})`, integer(4, 1024))
    .option('--padding <n>', `empty cells around the target (${perPreset((t) => t.padding)})`, integer(0, 512))
    .option('--iterations <n>', `training iterations (${perPreset((t) => t.iterations)})`, integer(1))
    .option('--batch <n>', `samples per iteration (${perPreset((t) => t.batch)})`, integer(1, 1024))
    .option('--pool <n>', `sample pool size, 0 for none (${perPreset((t) => t.pool)})`, integer(0, 1 << 20))
    .option('--reseed-every <n>', `re-seed the batch's worst sample every N iterations (${perPreset((t) => t.reseedEvery)})`, integer(1, 1_000_000))
    .option('--damage <n>', `damaged samples per batch (${perPreset((t) => t.damaged)})`, integer(0, 1024))
    .option('--damage-radius <min..max>', `radius of the damage discs as a fraction of the grid (${perPreset((t) => `${t.damageRadius.min}..${t.damageRadius.max}`)})`, fractionRange)
    .option('--steps <min..max>', `CA steps per iteration (${perPreset((t) => `${t.stepsMin}..${t.stepsMax}`)})`, stepRange)
    .option('--overflow-weight <w>', `weight of the penalty on state values beyond [-1, 1], 0 for none (${perPreset((t) => t.overflowWeight)})`, number(0, 1e6))
    .option('--lr <rate>', `Adam learning rate (${perPreset((t) => t.lr)})`, number(1e-9, 1))
    .option('--lr-decay-at <n>', `iteration where the rate is multiplied by 0.1 (${perPreset((t) => t.lrDecayAt ?? 'never')})`, integer(0))
    .option('--hidden <n>', `hidden units of the update rule (${perPreset((_, c) => c.hidden)})`, integer(1, 1024))
    .option('--channels <n>', `state channels (${perPreset((_, c) => c.channels)})`, integer(4, 64))
    .option('--fire-rate <p>', `stochastic update probability (${perPreset((_, c) => c.fireRate)})`, number(0, 1))
    .option('--seed <n>', 'random seed', integer(0, 2 ** 32 - 1), 1)
    .addOption(new Option('--backend <name>', 'compute backend').choices(BACKEND_NAMES as string[]).default('auto'))
    .option('--out <dir>', 'run folder (default runs/<target>-<timestamp>)')
    .option('--checkpoint-every <n>', 'write a checkpoint every N iterations', integer(1), 100)
    .option('--resume <dir>', 'continue the run in DIR from its checkpoint (with --iterations: the new total)')
    .option('--force', 'replace the run that --out already holds (without it, that is refused)')
    .option('--log-every <n>', 'when not on a terminal, print a line every N iterations', integer(1), 10)
    .option('--workers <n>', 'gradient worker threads on the CPU backends (0: one per core, up to the batch)', integer(0, 256), 0)
    .action(async (opts: Record<string, unknown>) => {
      const target = targetFrom(opts);
      const training: Partial<TrainingSettings> = {};
      const config: Partial<NcaConfig> = {};
      const set = <K extends keyof TrainingSettings>(key: K, value: unknown): void => {
        if (value !== undefined) {
          training[key] = value as TrainingSettings[K];
        }
      };
      set('targetSize', opts.targetSize);
      set('padding', opts.padding);
      set('iterations', opts.iterations);
      set('batch', opts.batch);
      set('pool', opts.pool);
      set('reseedEvery', opts.reseedEvery);
      set('damaged', opts.damage);
      set('damageRadius', opts.damageRadius);
      set('lr', opts.lr);
      set('overflowWeight', opts.overflowWeight);
      if (opts.lrDecayAt !== undefined) {
        training.lrDecayAt = opts.lrDecayAt as number;
        training.lrDecayFactor = 0.1;
      }
      if (opts.steps !== undefined) {
        [training.stepsMin, training.stepsMax] = opts.steps as [number, number];
      }
      if (opts.hidden !== undefined) {
        config.hidden = opts.hidden as number;
      }
      if (opts.channels !== undefined) {
        config.channels = opts.channels as number;
      }
      if (opts.fireRate !== undefined) {
        config.fireRate = opts.fireRate as number;
      }
      const controller = new AbortController();
      const onSigint = (): void => {
        run.error('interrupt: writing a checkpoint after this iteration (Ctrl-C again to quit at once)');
        process.off('SIGINT', onSigint);
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      try {
        const summary = await train(
          {
            ...(target === undefined ? {} : { target }),
            preset: opts.preset as PresetName | 'auto',
            training,
            config,
            seed: opts.seed as number,
            backend: opts.backend as BackendName,
            ...(opts.out === undefined ? {} : { out: opts.out as string }),
            checkpointEvery: opts.checkpointEvery as number,
            ...(opts.resume === undefined ? {} : { resume: opts.resume as string }),
            force: opts.force === true,
            ...(opts.background === undefined ? {} : { background: opts.background as string }),
            workers: opts.workers as number,
          },
          {
            log: run.log,
            progress: process.stderr.isTTY ? 'bar' : 'lines',
            stream: process.stderr,
            logEvery: opts.logEvery as number,
            signal: controller.signal,
          },
        );
        if (summary.interrupted) {
          process.exitCode = 130;
        }
      } finally {
        process.off('SIGINT', onSigint);
      }
    });

  program
    .command('inspect')
    .description('print a model file\'s config, metadata, parameter count and size, or a checkpoint\'s iteration, settings and pool')
    .argument('<file>', 'a .safetensors weights file, a checkpoint, or a run folder')
    .option('--json', 'print JSON')
    .action(async (path: string, opts: { json?: boolean }) => {
      const info = await inspect(path);
      run.log(opts.json ? JSON.stringify(inspectionJson(info), null, 2) : formatInspection(info));
    });

  program
    .command('convert')
    .description('convert a model between formats: --from distill|torch into an NCA weights file, or --to torch from one')
    .argument('<input>', 'the model to convert (with --all: a folder of them)')
    .argument('<output>', 'the file to write: .safetensors, or with --to torch .pt or .safetensors (with --all: a folder)')
    .addOption(new Option('--from <format>', 'format of the input (a Distill .json, or a PyTorch notebook state dict .pt / .safetensors)').choices([...CONVERT_FORMATS]))
    .addOption(new Option('--to <format>', "write an NCA weights file as the PyTorch notebook's state dict").choices([...EXPORT_FORMATS]).conflicts('from'))
    .option('--all', 'convert every *.json of the INPUT folder into the OUTPUT folder, with an index.json manifest (--from distill)')
    .addOption(new Option('--dtype <type>', 'storage type of the weights').choices(['float32', 'float16', 'uint8']).default('float32'))
    .action(async (input: string, output: string, opts: { from?: ConvertFormat; to?: ExportFormat; all?: boolean; dtype: 'float32' | 'float16' | 'uint8' }) => {
      if (opts.to !== undefined) {
        const written = await exportModel({ to: opts.to, model: input, output });
        run.log(`exported ${input} -> ${written.output}: the notebook's state dict, ${written.bytes.toLocaleString('en-US')} bytes`);
        return;
      }
      if (opts.from === undefined) {
        throw new NcaError('BAD_FLAG', 'give --from distill|torch (import into our format) or --to torch (export from it)');
      }
      if (opts.all) {
        if (opts.from !== 'distill') {
          throw new NcaError('BAD_FLAG', '--all converts a folder of Distill models (--from distill)');
        }
        await convertFolder({ from: opts.from, dtype: opts.dtype, inputDir: input, outputDir: output }, run);
      } else {
        run.log(formatConversion(await convert({ from: opts.from, dtype: opts.dtype, input, output })));
      }
    });

  program
    .command('render')
    .description('run a model from the seed on the CPU and write the final frame, a growth GIF or the state')
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
    .option('--scale <n>', 'upscale factor of the PNG and GIF', integer(1, 64), 4)
    // Render reads every step back to crop to the live cells: a GPU backend would not help.
    .addOption(new Option('--backend <name>', 'compute backend').choices(['wasm', 'cpu', 'tensorflow']).default('wasm'))
    .action(async (model: string, opts: Record<string, unknown>) => {
      const grid = opts.size as { width: number; height: number } | undefined;
      const optional = <T>(key: string, value: unknown): Partial<Record<string, T>> => (value === undefined ? {} : { [key]: value as T });
      await render(
        {
          model,
          steps: opts.steps as number,
          seed: opts.seed as number,
          damage: (opts.damage as DamageSpec[] | undefined) ?? [],
          scale: opts.scale as number,
          backend: opts.backend as BackendName,
          ...(grid === undefined ? {} : grid),
          ...optional<number>('fireRate', opts.fireRate),
          ...optional<string>('png', opts.png),
          ...optional<string>('gif', opts.gif),
          ...optional<number>('frameEvery', opts.gifEvery),
          ...optional<string>('state', opts.state),
        },
        run,
      );
    });

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
    .option('--json', 'print the result as JSON (progress goes to stderr)')
    .action(async (opts: Record<string, unknown>) => {
      const optional = (key: string): Record<string, unknown> => (opts[key] === undefined ? {} : { [key]: opts[key] });
      const result = await benchTrainer(
        {
          preset: opts.preset as PresetName,
          backend: opts.backend as BackendName,
          steps: opts.steps as number,
          iterations: opts.iterations as number,
          torch: opts.torch as boolean,
          profile: opts.profile === true,
          workers: opts.workers as number,
          ...optional('size'),
          ...optional('padding'),
          ...optional('batch'),
          ...optional('hidden'),
        },
        opts.json ? run.error : run.log,
      );
      if (opts.json) {
        run.log(JSON.stringify(result, null, 2));
      } else {
        for (const line of formatBench(result)) {
          run.log(line);
        }
      }
    });

  program
    .command('eval')
    .description('measure growth, persistence and regrowth of a model against its stored target')
    .argument('<model>', 'a .safetensors weights file that stores its target (nca train writes one)')
    .option('--seeds <n>', 'independent runs averaged', integer(1, 256), 8)
    .option('--persistence-steps <n>', 'steps for the persistence figure', integer(1, 1_000_000), 1000)
    .option('--seed <n>', 'random seed', integer(0, 2 ** 32 - 1), 1)
    .addOption(new Option('--backend <name>', 'compute backend').choices(BACKEND_NAMES as string[]).default('auto'))
    .option('--emoji <char>', 'compare with this emoji instead (for models that store no target, e.g. converted Distill ones)')
    .option('--target <file>', 'compare with this image instead (same use)')
    .option('--padding <n>', 'with --emoji/--target: empty cells around the target, which fills the rest of the grid', integer(0, 512), 16)
    .option('--json', 'print one JSON object')
    .action(async (path: string, opts: { seeds: number; persistenceSteps: number; seed: number; backend: BackendName; json?: boolean; emoji?: string; target?: string; padding: number }) => {
      const { model } = await loadModel(path);
      if (opts.emoji !== undefined || opts.target !== undefined) {
        const source: TargetSource = opts.emoji !== undefined ? { kind: 'emoji', char: opts.emoji } : { kind: 'file', path: opts.target! };
        const size = Math.min(model.config.gridWidth, model.config.gridHeight) - 2 * opts.padding;
        if (size < 4) {
          throw new NcaError('BAD_FLAG', `--padding ${opts.padding} leaves no room for a target on a ${model.config.gridWidth}x${model.config.gridHeight} grid`);
        }
        const target = await loadTarget(source, { size, padding: opts.padding });
        if (target.width !== model.config.gridWidth || target.height !== model.config.gridHeight) {
          throw new NcaError('BAD_FLAG', `the target comes out ${target.width}x${target.height}, the model's grid is ${model.config.gridWidth}x${model.config.gridHeight}; adjust --padding`);
        }
        model.target = { width: target.width, height: target.height, data: target.rgba8 };
      }
      await selectBackend(opts.backend);
      const report = await evaluate(model, { seeds: opts.seeds, persistenceSteps: opts.persistenceSteps, seed: opts.seed });
      run.log(opts.json ? JSON.stringify({ model: path, ...report }) : formatEval(path, report));
      if (report.diverged) {
        throw new NcaError('DIVERGED', `warning: ${path} diverged: a loss is not finite (the state blew up to NaN or infinity)`);
      }
    });

  return program;
}

const size = (text: string): { width: number; height: number } => {
  const grid = parseSize(text);
  if (grid === null || grid.width < 3 || grid.height < 3 || grid.width > 2048 || grid.height > 2048) {
    throw new InvalidArgumentError(`expected WxH with each side from 3 to 2048 (e.g. 72x72), got "${text}"`);
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

function targetFrom(opts: Record<string, unknown>): TargetSource | undefined {
  if (opts.target !== undefined && opts.emoji !== undefined) {
    throw new NcaError('BAD_FLAG', 'give either --target or --emoji, not both');
  }
  if (typeof opts.emoji === 'string') {
    return { kind: 'emoji', char: opts.emoji };
  }
  if (typeof opts.target === 'string') {
    return /^https?:\/\//i.test(opts.target) ? { kind: 'url', url: opts.target } : { kind: 'file', path: opts.target };
  }
  if (opts.resume === undefined) {
    throw new NcaError('BAD_FLAG', 'no target: give --target FILE|URL or --emoji CHAR (or --resume DIR)');
  }
  return undefined;
}

/**
 * Runs the CLI and returns the exit code (SPEC §6): 0 success, 1 runtime failure, 2 bad usage
 * or input. User errors are one line; `--debug` adds the stack.
 */
export async function main(
  argv: string[],
  io: { log: (line: string) => void; error: (line: string) => void } = { log: (l) => console.log(l), error: (l) => console.error(l) },
): Promise<number> {
  const debug = argv.includes('--debug');
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; anything else commander rejects is bad usage.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof NcaError || error instanceof WeightsFormatError || error instanceof BudgetError) {
      io.error(`nca: ${error.message}`);
      if (debug) {
        io.error(error.stack ?? '');
      }
      return error instanceof NcaError ? error.exitCode : EXIT_USAGE;
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

export { isPresetName };
