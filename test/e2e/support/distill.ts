// Converts the Distill article's quantized WebGL models (../shared/fixtures/distill-models,
// CC BY 4.0: read at test time, never copied into the repo) into NCA weights files, which the
// browser tests also run where ../shared is there.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { importDistill, writeModel } from '@nca-studio/weights-format';
import type { NcaModel } from '@nca-studio/weights-format';

export const DISTILL_FIXTURES = resolve(import.meta.dirname, '../../../../shared/fixtures/distill-models');

/** weights-format's own Distill import (dequantization and the article's config). */
function readDistillModel(file: string): NcaModel {
  return importDistill(JSON.parse(readFileSync(file, 'utf8')) as unknown, { source: file });
}

export interface ConvertedModel {
  id: string;
  name: string;
  file: string;
  gridWidth: number;
  gridHeight: number;
}

/** The models the tests use, regenerating lizard first (the app's default pick). */
const TEST_MODELS: readonly { id: string; name: string }[] = [
  { id: 'ex3_1f98e', name: 'Lizard (regenerating)' },
  { id: 'ex1_1f98b', name: 'Butterfly (growing)' },
];

/** Writes `<dir>/<id>.safetensors` and `<dir>/index.json` in the app's manifest format. */
export async function writeDistillModels(dir: string, models = TEST_MODELS): Promise<ConvertedModel[]> {
  await mkdir(dir, { recursive: true });
  const entries: ConvertedModel[] = [];
  for (const { id, name } of models) {
    const model = readDistillModel(join(DISTILL_FIXTURES, `${id}.json`));
    await writeFile(join(dir, `${id}.safetensors`), writeModel(model));
    entries.push({ id, name, file: `${id}.safetensors`, gridWidth: model.config.gridWidth, gridHeight: model.config.gridHeight });
  }
  await writeFile(join(dir, 'index.json'), JSON.stringify({ title: 'Distill reference models', models: entries }, null, 2));
  return entries;
}
