// Converts the Distill article's quantized WebGL models (../shared/fixtures/distill-models,
// CC BY 4.0: read at test time, never copied into the repo) into NCA weights files, for the
// browser tests to serve until the project ships its own converted or trained models.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULT_CONFIG, writeModel } from '@nca-studio/weights-format';
import type { NcaConfig, NcaModel } from '@nca-studio/weights-format';

export const DISTILL_FIXTURES = resolve(import.meta.dirname, '../../../../shared/fixtures/distill-models');

interface DistillLayer {
  data_b64: string;
  in_ch: number;
  out_ch: number;
  weight_scale: number;
  bias_scale: number;
  type: string;
}

/** The regenerating preset the Distill models were trained with (fixtures README). */
export const DISTILL_CONFIG: NcaConfig = {
  ...DEFAULT_CONFIG,
  channels: 16,
  hidden: 128,
  padding: 'zero',
  sobelScale: 1 / 8,
  tanh: false,
  fireRate: 0.5,
  aliveThreshold: 0.1,
  aliveMasking: 'pre-post',
  gridWidth: 72,
  gridHeight: 72,
};

/** Rows are inputs (the last row the bias), columns outputs; q -> (q / 255 - 0.5) * scale. */
function dequantize(layer: DistillLayer): { weight: Float32Array; bias: Float32Array } {
  const bytes = Buffer.from(layer.data_b64, 'base64');
  const { in_ch: inputs, out_ch: outputs } = layer;
  if (layer.type !== 'uint8' || bytes.length !== (inputs + 1) * outputs) {
    throw new Error(`unexpected Distill layer: ${layer.type}, ${bytes.length} bytes for ${inputs} x ${outputs}`);
  }
  const weight = new Float32Array(inputs * outputs);
  for (let i = 0; i < weight.length; i++) {
    weight[i] = (bytes[i]! / 255 - 0.5) * layer.weight_scale;
  }
  const bias = new Float32Array(outputs);
  for (let o = 0; o < outputs; o++) {
    bias[o] = (bytes[inputs * outputs + o]! / 255 - 0.5) * layer.bias_scale;
  }
  return { weight, bias };
}

export function readDistillModel(file: string): NcaModel {
  const layers = JSON.parse(readFileSync(file, 'utf8')) as DistillLayer[];
  const [first, second] = layers;
  if (first === undefined || second === undefined) {
    throw new Error(`${file}: expected two layers`);
  }
  const dense1 = dequantize(first);
  const dense2 = dequantize(second);
  const planarian = file.endsWith('planarian.json');
  return {
    config: planarian ? { ...DISTILL_CONFIG, angle: Math.PI / 2, gridWidth: 96, gridHeight: 64 } : DISTILL_CONFIG,
    params: { dense1Weight: dense1.weight, dense1Bias: dense1.bias, dense2Weight: dense2.weight, dense2Bias: dense2.bias },
    source: {
      name: 'Growing Neural Cellular Automata (Distill, 2020)',
      credit: 'Mordvintsev, Randazzo, Niklasson, Levin; CC BY 4.0',
      file,
    },
  };
}

export interface ConvertedModel {
  id: string;
  name: string;
  file: string;
  gridWidth: number;
  gridHeight: number;
}

/** The models the tests use, regenerating lizard first (the app's default pick). */
export const TEST_MODELS: readonly { id: string; name: string }[] = [
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
