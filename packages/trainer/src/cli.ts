import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { isPresetName, PRESETS, type NcaConfig, type PresetName, type TrainingSettings } from '@nca-studio/core';
import { WeightsFormatError } from '@nca-studio/weights-format';
import { BACKEND_NAMES, type BackendName } from './backend.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, NcaError } from './errors.ts';
import { formatInspection, inspect } from './inspect.ts';
import type { TargetSource } from './target.ts';
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
const stepRange = (text: string): [number, number] => {
  const m = /^(\d+)(?:\.\.(\d+))?$/.exec(text.trim());
  if (!m) {
    throw new InvalidArgumentError(`expected MIN..MAX (e.g. 64..95) or one number, got "${text}"`);
  }
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi < lo) {
    throw new InvalidArgumentError(`expected 1 <= MIN <= MAX, got "${text}"`);
  }
  return [lo, hi];
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
    .addOption(new Option('--preset <name>', 'training recipe').choices(Object.keys(PRESETS)).default('regenerating'))
    .option('--target-size <n>', `longest side of the target in cells (${perPreset((t) => t.targetSize)})`, integer(4, 1024))
    .option('--padding <n>', `empty cells around the target (${perPreset((t) => t.padding)})`, integer(0, 512))
    .option('--iterations <n>', `training iterations (${perPreset((t) => t.iterations)})`, integer(1))
    .option('--batch <n>', `samples per iteration (${perPreset((t) => t.batch)})`, integer(1, 1024))
    .option('--pool <n>', `sample pool size, 0 for none (${perPreset((t) => t.pool)})`, integer(0, 1 << 20))
    .option('--damage <n>', `damaged samples per batch (${perPreset((t) => t.damaged)})`, integer(0, 1024))
    .option('--steps <min..max>', `CA steps per iteration (${perPreset((t) => `${t.stepsMin}..${t.stepsMax}`)})`, stepRange)
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
    .option('--log-every <n>', 'when not on a terminal, print a line every N iterations', integer(1), 10)
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
      set('damaged', opts.damage);
      set('lr', opts.lr);
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
            preset: opts.preset as PresetName,
            training,
            config,
            seed: opts.seed as number,
            backend: opts.backend as BackendName,
            ...(opts.out === undefined ? {} : { out: opts.out as string }),
            checkpointEvery: opts.checkpointEvery as number,
            ...(opts.resume === undefined ? {} : { resume: opts.resume as string }),
            ...(opts.background === undefined ? {} : { background: opts.background as string }),
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
    .description('print a model file\'s config, metadata, parameter count and size')
    .argument('<model>', 'a .safetensors weights file')
    .option('--json', 'print JSON')
    .action(async (path: string, opts: { json?: boolean }) => {
      const info = await inspect(path);
      run.log(
        opts.json
          ? JSON.stringify({ path: info.path, bytes: info.bytes, parameters: info.parameters, config: info.model.config, target: info.model.target ? { ...info.model.target, data: undefined } : null, training: info.model.training ?? null, source: info.model.source ?? null }, null, 2)
          : formatInspection(info),
      );
    });

  return program;
}

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
    if (error instanceof NcaError || error instanceof WeightsFormatError) {
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
