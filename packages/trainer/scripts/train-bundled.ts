// Re-trains the viewer's bundled models with the project's own trainer, measures each with
// `nca eval`, and writes packages/viewer/public/models/<id>.safetensors plus index.json with the
// figures and the exact command. Run from the repository root:
//   pnpm exec tsx packages/trainer/scripts/train-bundled.ts [id ...]
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/files/atomicWrite.ts';
import { main } from '../src/cli.ts';

interface Bundled {
  id: string;
  name: string;
  args: string[];
}

const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const BUNDLED: Bundled[] = [
  { id: 'lizard', name: '🦎 lizard', args: ['--emoji', '🦎', '--preset', 'cpu', '--seed', '1'] },
  { id: 'butterfly', name: '🦋 butterfly', args: ['--emoji', '🦋', '--preset', 'cpu', '--seed', '1'] },
  { id: 'flower', name: 'flower (docs/targets/flower.svg)', args: ['--target', 'docs/targets/flower.svg', '--preset', 'cpu', '--seed', '1'] },
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
  const code = await main(argv, { log: (l) => { out.push(l); console.log(l); }, error: (l) => console.error(l) });
  if (code !== 0) {
    throw new Error(`nca ${argv.join(' ')} exited with ${code}`);
  }
  return out;
}

process.chdir(repo);
const wanted = process.argv.slice(2);
for (const model of BUNDLED.filter((m) => wanted.length === 0 || wanted.includes(m.id))) {
  const out = join('runs', 'bundled', model.id);
  const args = ['train', ...model.args, '--out', out];
  const began = Date.now();
  await nca(args);
  const seconds = Math.round((Date.now() - began) / 1000);
  const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as { iterations: number; final_loss: number; backend: { name: string }; workers: number };
  const [json] = await nca(['eval', join(out, 'model.safetensors'), '--json']);
  const report = JSON.parse(json!) as Record<string, number>;
  await mkdir(models, { recursive: true });
  await copyFile(join(out, 'model.safetensors'), join(models, `${model.id}.safetensors`));
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
    eval: {
      seeds: report.seeds,
      growth: report.growth,
      growth_iou: report.growthIou,
      persistence: report.persistence,
      regrowth: report.regrowth,
      regrowth_off_centre: report.regrowthOffCentre,
      ratio: report.ratio,
    },
  };
  const others = current.models.filter((m) => m.id !== model.id);
  const order = BUNDLED.map((m) => m.id);
  const all = [...others, entry].sort((a, b) => order.indexOf(String(a.id)) - order.indexOf(String(b.id)));
  await writeFileAtomic(manifestPath, JSON.stringify({ title: 'Bundled models', models: all }, null, 2) + '\n');
  console.log(`${model.id}: trained in ${seconds} s, regrowth/growth ${report.ratio!.toFixed(2)}`);
}
