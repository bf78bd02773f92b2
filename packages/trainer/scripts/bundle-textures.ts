// Trains the viewer's bundled textures on the repository's own exemplars (docs/textures/*.svg),
// measures each with `nca eval`, and writes packages/viewer/public/models/textures/<id>.safetensors
// plus index.json with the figures and the command that repeats the run bit for bit (its
// settled iteration count and decay point). Run from the repository root:
//   pnpm models:textures [id ...]          train each (15 minutes on 2 cores) and bundle it
//   pnpm models:textures id=DIR ...        bundle a finished `nca train --texture` run folder
// Each ships in the smallest form (u8, f16, else f32) whose texture distance after 2000 steps
// stays within a tenth of the float32 weights'.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateTexture, sharedKernel } from '@nca-studio/core';
import { readModel, writeModel, type NcaModel, type WeightsDType } from '@nca-studio/weights-format';
import { writeFileAtomic } from '../src/files/atomicWrite.ts';
import { readCheckpoint } from '../src/training/checkpoint.ts';
import { main } from '../src/cli.ts';

const TEXTURES = [
  { id: 'weave', name: 'weave (docs/textures/weave.svg)' },
  { id: 'dots', name: 'dots (docs/textures/dots.svg)' },
  { id: 'scales', name: 'scales (docs/textures/scales.svg)' },
] as const;

/** Seeds and first seed of the recorded figures (test/bundled.test.ts measures the same way). */
const EVAL = { seeds: 1, seed: 1 } as const;
const FORMS: Array<{ form: 'u8' | 'f16' | 'f32'; dtype: WeightsDType }> = [
  { form: 'u8', dtype: 'uint8' },
  { form: 'f16', dtype: 'float16' },
  { form: 'f32', dtype: 'float32' },
];

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const folder = join(repo, 'packages/viewer/public/models/textures');

async function distance(model: NcaModel): Promise<{ distance: number; distance500: number; stability: number; healRatio: number }> {
  const report = evaluateTexture(model, model.target!, await sharedKernel(), EVAL);
  return { distance: report.distance.at(-1)!.value, distance500: report.distance[0]!.value, stability: report.stability, healRatio: report.healRatio };
}

const requests = process.argv.slice(2);
const entries: Array<Record<string, unknown>> = [];
for (const { id, name } of TEXTURES) {
  const given = requests.find((r) => r === id || r.startsWith(`${id}=`));
  if (requests.length > 0 && given === undefined) {
    continue;
  }
  let dir = given?.includes('=') ? given.slice(id.length + 1) : join(repo, 'runs/textures', id);
  if (!given?.includes('=')) {
    const code = await main(['train', '--texture', `docs/textures/${id}.svg`, '--seed', '1', '--out', dir, '--force'], {
      log: (line) => console.log(line),
      error: (line) => console.error(line),
    });
    if (code !== 0) {
      throw new Error(`training ${id} failed (exit ${code})`);
    }
  }
  dir = join(dir);
  const checkpoint = await readCheckpoint(dir);
  const { plan } = checkpoint;
  if (plan.preset !== 'texture' || plan.seed !== 1 || plan.targetName !== id) {
    throw new Error(`${dir} is not the run \`nca train --texture docs/textures/${id}.svg --seed 1\` trains`);
  }
  const float32 = readModel(await readFile(join(dir, 'model.safetensors')));
  const reference = await distance(float32);
  let chosen: { form: string; bytes: Uint8Array; figures: typeof reference } | null = null;
  for (const { form, dtype } of FORMS) {
    const bytes = writeModel(float32, { dtype });
    const figures = form === 'f32' ? reference : await distance(readModel(bytes));
    console.log(`${id} ${form}: distance ${figures.distance.toFixed(3)} (float32 ${reference.distance.toFixed(3)})`);
    if (figures.distance <= reference.distance * 1.1) {
      chosen = { form, bytes, figures };
      break;
    }
  }
  await writeFileAtomic(join(folder, `${id}.safetensors`), chosen!.bytes);
  const run = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;
  entries.push({
    id,
    name,
    file: `${id}.safetensors`,
    gridWidth: plan.config.gridWidth,
    gridHeight: plan.config.gridHeight,
    command: `pnpm nca train --texture docs/textures/${id}.svg --texture-loss ${plan.exemplar?.loss ?? 'patches'} --seed 1 --iterations ${plan.training.iterations} --lr-decay-at ${plan.training.lrDecayAt} --out runs/textures/${id}`,
    trained: {
      seconds: run['seconds'],
      iterations: checkpoint.iteration,
      final_loss: run['final_loss'],
      backend: (run['backend'] as { name: string }).name,
      workers: run['workers'],
    },
    eval: {
      ...EVAL,
      distance: chosen!.figures.distance,
      distance_500: chosen!.figures.distance500,
      stability: chosen!.figures.stability,
      heal_ratio: chosen!.figures.healRatio,
    },
    form: chosen!.form,
  });
}
const indexPath = join(folder, 'index.json');
let previous: Array<Record<string, unknown>> = [];
try {
  previous = (JSON.parse(await readFile(indexPath, 'utf8')) as { models: Array<Record<string, unknown>> }).models;
} catch {
  // A first bundle.
}
const models = TEXTURES.map(({ id }) => entries.find((e) => e['id'] === id) ?? previous.find((e) => e['id'] === id)).filter((e) => e !== undefined);
await writeFileAtomic(indexPath, JSON.stringify({ title: 'Bundled textures', models }, null, 2) + '\n');
console.log(`wrote ${indexPath} (${models.length} textures)`);
