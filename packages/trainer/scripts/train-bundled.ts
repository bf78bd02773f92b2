// Re-trains the viewer's bundled models with the project's own trainer, measures each with
// `nca eval`, and writes packages/viewer/public/models/<id>.safetensors plus index.json with the
// figures and the exact command. Run from the repository root:
//   pnpm exec tsx packages/trainer/scripts/train-bundled.ts [id ...]
// `id=DIR` bundles a finished run folder instead of training anew, once its plan is checked to
// be exactly what the bundled command trains (same preset, settings, model, target and seed).
// Each model ships in the smallest form (u8, f16, else f32: `nca convert --quantize`) that keeps
// every eval goal its float32 weights meet and its growth error within a tenth; the manifest
// records the form and the shipped file's figures. `id=FILE.safetensors` re-forms a float32
// model already bundled, keeping its trained record.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/files/atomicWrite.ts';
import { readCheckpoint } from '../src/training/checkpoint.ts';
import { GROWTH_GOALS, PRESETS, type PresetName } from '@nca-studio/core';
import { main } from '../src/cli.ts';

interface Bundled {
  id: string;
  name: string;
  args: string[];
}

const repo = fileURLToPath(new URL('../../../', import.meta.url));
// These were trained before the detail term became the cpu preset's (docs/recipes.md, 2026-12-08):
// `--detail-weight 0` keeps each command what its model ran.
const BUNDLED: Bundled[] = [
  // A slim target's iterations cost less (the kernel's cost follows living cells): the lizard's
  // half hour affords 6,000 (docs/recipes.md), which lower every one of its errors.
  {
    id: 'lizard',
    name: '🦎 lizard',
    args: ['--emoji', '🦎', '--preset', 'cpu', '--detail-weight', '0', '--seed', '1', '--iterations', '6000', '--lr-decay-at', '4200'],
  },
  // The preset's 4,600 iterations leave a larger target room under 30 minutes; the butterfly and
  // the flower spend the rest of theirs on 5,600, which lowers every error (docs/recipes.md).
  {
    id: 'butterfly',
    name: '🦋 butterfly',
    args: ['--emoji', '🦋', '--preset', 'cpu', '--detail-weight', '0', '--seed', '1', '--iterations', '5600', '--lr-decay-at', '3900'],
  },
  // The flower's pattern is learnt late: a longer phase at the full rate (the fall from 87%, not
  // 70%) lowers its errors.
  {
    id: 'flower',
    name: 'flower (docs/targets/flower.svg)',
    args: ['--target', 'docs/targets/flower.svg', '--preset', 'cpu', '--detail-weight', '0', '--seed', '1', '--iterations', '5600', '--lr-decay-at', '4900'],
  },
];

const models = join(repo, 'packages/viewer/public/models');
const manifestPath = join(models, 'index.json');

async function manifest(): Promise<{ title: string; models: Array<Record<string, unknown>> }> {
  try {
    return JSON.parse(await readFile(manifestPath, 'utf8')) as { title: string; models: Array<Record<string, unknown>> };
  } catch {
    return { title: 'Bundled models', models: [] };
  }
}

async function nca(argv: string[]): Promise<string[]> {
  const out: string[] = [];
  const code = await main(argv, {
    log: (l) => {
      out.push(l);
      console.log(l);
    },
    error: (l) => console.error(l),
  });
  if (code !== 0) {
    throw new Error(`nca ${argv.join(' ')} exited with ${code}`);
  }
  return out;
}

type RunJson = {
  status: string;
  iterations: number;
  seconds: number;
  final_loss: number;
  backend: { name: string };
  workers: number;
  preset: string;
  seed: number;
  target: string;
  config: unknown;
  training: unknown;
};

/** The iterations a bundled command trains: its `--iterations` flag, else its preset's. */
function iterationsOf(model: Bundled, preset: PresetName): number {
  const at = model.args.indexOf('--iterations');
  return at >= 0 ? Number(model.args[at + 1]) : PRESETS[preset].training.iterations;
}

/** The plan part of run.json: what the run trained, without how long it took; keys sorted, so order does not count. */
function planOf(run: RunJson): string {
  const sorted = (_: string, value: unknown): unknown =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)))
      : value;
  return JSON.stringify({ preset: run.preset, seed: run.seed, target: run.target, config: run.config, training: run.training }, sorted);
}

type Figures = Record<string, number>;

/** The eval figures the manifest keeps (of the shipped file). */
function manifestFigures(report: Figures): Record<string, number | undefined> {
  return {
    seeds: report.seeds,
    growth: report.growth,
    growth_iou: report.growthIou,
    persistence: report.persistence,
    regrowth: report.regrowth,
    regrowth_off_centre: report.regrowthOffCentre,
    ratio: report.ratio,
  };
}

async function evaluate(file: string): Promise<Figures> {
  const [json] = await nca(['eval', file, '--json']);
  return JSON.parse(json!) as Figures;
}

/** The goals a model's figures meet, by name. */
function goalsMet(r: Figures): Set<string> {
  const met = new Set<string>();
  const checks: Array<[string, boolean]> = [
    ['iou', r.growthIou! >= GROWTH_GOALS.iou],
    ['growth', r.growth! <= GROWTH_GOALS.growth],
    ['ratio', r.ratio! <= GROWTH_GOALS.regrowthRatio],
    ['persistence', r.persistence! <= GROWTH_GOALS.persistenceRatio * r.growth!],
  ];
  checks.filter(([, ok]) => ok).forEach(([name]) => met.add(name));
  return met;
}

/** Writes `models/<id>.safetensors` in the smallest form that keeps the float32 model's goals; its form and figures. */
async function shipSmallest(id: string, float32: string): Promise<{ form: string; report: Figures }> {
  const reference = await evaluate(float32);
  const kept = goalsMet(reference);
  await mkdir(models, { recursive: true });
  const shipped = join(models, `${id}.safetensors`);
  for (const form of ['u8', 'f16']) {
    const candidate = join('runs', 'bundled', `${id}-${form}.safetensors`);
    await nca(['convert', float32, candidate, '--quantize', form]);
    const report = await evaluate(candidate);
    const met = goalsMet(report);
    if ([...kept].every((goal) => met.has(goal)) && report.growth! <= 1.1 * reference.growth!) {
      await copyFile(candidate, shipped);
      return { form, report };
    }
  }
  if (float32 !== shipped) {
    await copyFile(float32, shipped);
  }
  return { form: 'f32', report: reference };
}

process.chdir(repo);
const wanted = new Map(process.argv.slice(2).map((arg) => [arg.split('=')[0]!, arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : null]));
for (const model of BUNDLED.filter((m) => wanted.size === 0 || wanted.has(m.id))) {
  const out = join('runs', 'bundled', model.id);
  const args = ['train', ...model.args, '--out', out];
  const reuse = wanted.get(model.id) ?? null;
  if (reuse !== null && reuse.endsWith('.safetensors')) {
    const current = await manifest();
    const entry = current.models.find((m) => m.id === model.id);
    if (entry === undefined || (entry.form ?? 'f32') !== 'f32') {
      throw new Error(`${model.id}=${reuse}: re-forms a float32 model already in the manifest`);
    }
    await mkdir(join('runs', 'bundled'), { recursive: true });
    const float32 = join('runs', 'bundled', `${model.id}-f32.safetensors`);
    await copyFile(reuse, float32);
    const { form, report } = await shipSmallest(model.id, float32);
    const others = current.models.filter((m) => m.id !== model.id);
    const all = [...others, { ...entry, form, eval: manifestFigures(report) }].sort(
      (a, b) => BUNDLED.findIndex((m) => m.id === a.id) - BUNDLED.findIndex((m) => m.id === b.id),
    );
    await writeFileAtomic(manifestPath, JSON.stringify({ title: 'Bundled models', models: all }, null, 2) + '\n');
    console.log(`${model.id}: shipped as ${form}`);
    continue;
  }
  if (reuse === null) {
    await nca(args);
  } else {
    // Trains the same plan for one iteration (seconds) to compare the plans exactly, then bundles the finished run.
    const probe = join('runs', 'bundled', `${model.id}-plan`);
    await nca([...args.slice(0, -1), probe, '--iterations', '1', '--force']);
    const [given, expected] = await Promise.all([reuse, probe].map(async (dir) => JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as RunJson));
    // The run's settings as its checkpoint reads back: a run from before a setting existed gets the value it trained with.
    given!.training = (await readCheckpoint(reuse)).plan.training;
    // The probe ran one iteration of the plan; the bundled command runs its own number, else the preset's.
    const full = { ...expected!, training: { ...(expected!.training as object), iterations: iterationsOf(model, expected!.preset as PresetName) } };
    if (given!.status !== 'finished' || planOf(given!) !== planOf(full)) {
      throw new Error(`${reuse} is not a finished run of \`pnpm nca ${args.join(' ')}\``);
    }
    await mkdir(out, { recursive: true });
    for (const file of ['model.safetensors', 'growth.png', 'run.json']) {
      await copyFile(join(reuse, file), join(out, file));
    }
  }
  const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as RunJson;
  const seconds = Math.round(run.seconds);
  const { form, report } = await shipSmallest(model.id, join(out, 'model.safetensors'));
  await mkdir(join(repo, 'docs/models'), { recursive: true });
  await copyFile(join(out, 'growth.png'), join(repo, 'docs/models', `${model.id}-growth.png`));
  const current = await manifest();
  const entry = {
    id: model.id,
    name: model.name,
    file: `${model.id}.safetensors`,
    gridWidth: report.gridWidth,
    gridHeight: report.gridHeight,
    command: `pnpm nca ${args.join(' ')}`,
    trained: { seconds, iterations: run.iterations, final_loss: run.final_loss, backend: run.backend.name, workers: run.workers },
    form,
    eval: manifestFigures(report),
  };
  const others = current.models.filter((m) => m.id !== model.id);
  const order = BUNDLED.map((m) => m.id);
  const all = [...others, entry].sort((a, b) => order.indexOf(String(a.id)) - order.indexOf(String(b.id)));
  await writeFileAtomic(manifestPath, JSON.stringify({ title: 'Bundled models', models: all }, null, 2) + '\n');
  console.log(`${model.id}: trained in ${seconds} s, regrowth/growth ${report.ratio!.toFixed(2)}`);
}
