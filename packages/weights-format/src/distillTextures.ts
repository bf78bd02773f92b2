// Import of the pretrained models of the Distill article "Self-Organising Textures" (Niklasson,
// Mordvintsev, Randazzo, Levin, 2021): the `models.json` its WebGL demo loads, all models in one
// file. Each of its two layers is one 8-bit PNG sheet holding every model's [inputs + 1, outputs]
// block (the last row the bias), dequantized by one scale per layer: (q - 127) / 255 * scale.
import { TEXTURE_CONFIG, type NcaConfig } from './config.ts';
import { decodeBase64, describeJson, DistillFormatError } from './distill.ts';
import type { NcaModel } from './model.ts';
import { decodeRgbaPng } from './png.ts';

/** The texture article's model: our TEXTURE_CONFIG, which was written from it. */
export const DISTILL_TEXTURE_CONFIG: Readonly<NcaConfig> = TEXTURE_CONFIG;

/** Credit for the weights (CC BY 4.0), stored in each converted file's `source` metadata. */
export const DISTILL_TEXTURES_CREDIT = Object.freeze({
  credit: 'Niklasson, Mordvintsev, Randazzo, Levin, "Self-Organising Textures", Distill, 2021',
  url: 'https://distill.pub/selforg/2021/textures',
  license: 'CC BY 4.0',
  repository: 'https://github.com/distillpub/post--selforg-textures',
  path: 'public/demo/models.json',
});

/** [inputs, outputs] of the two layers: 4 filters x 12 channels -> 96 hidden -> 12. */
const LAYERS = [
  { inputs: 4 * TEXTURE_CONFIG.channels, outputs: TEXTURE_CONFIG.hidden },
  { inputs: TEXTURE_CONFIG.hidden, outputs: TEXTURE_CONFIG.channels },
] as const;

const PNG_DATA_URL = 'data:image/png;base64,';
/** A model name becomes a file name: letters, digits, '_', '-' and '.', never a path. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;

/** Checks one layer and returns, for each model slot, its [inputs + 1, outputs] matrix. */
function readLayer(layer: unknown, index: number, models: number, fail: (why: string) => DistillFormatError): Float32Array[] {
  const { inputs, outputs } = LAYERS[index]!;
  const where = `layer ${index}`;
  if (typeof layer !== 'object' || layer === null || Array.isArray(layer)) {
    throw fail(`${where} must be an object, got ${describeJson(layer)}`);
  }
  const { shape, layout, scale, data } = layer as Record<string, unknown>;
  if (!Array.isArray(shape) || shape[0] !== inputs + 1 || shape[1] !== outputs || shape.length !== 2) {
    throw fail(`${where} shape is ${JSON.stringify(shape)}, expected [${inputs + 1}, ${outputs}] (12 channels, 96 hidden)`);
  }
  const [perRow, bands] = Array.isArray(layout) ? layout : [];
  if (!Number.isInteger(perRow) || !Number.isInteger(bands) || perRow < 1 || bands < 1 || perRow * bands < models) {
    throw fail(`${where} layout is ${JSON.stringify(layout)}, expected [models per band, bands] with room for ${models} models`);
  }
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) {
    throw fail(`${where} scale must be a finite number > 0, got ${describeJson(scale)}`);
  }
  if (typeof data !== 'string' || !data.toLowerCase().startsWith(PNG_DATA_URL)) {
    throw fail(`${where} data must be a "${PNG_DATA_URL}..." string`);
  }
  const png = decodeBase64(data.slice(PNG_DATA_URL.length));
  if (png === null) {
    throw fail(`${where} data is not valid base64`);
  }
  const rows = inputs + 1;
  const texels = outputs / 4;
  let image;
  try {
    image = decodeRgbaPng(png);
  } catch (error) {
    throw fail(`${where} data: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (image.width !== perRow * texels || image.height !== bands * rows) {
    throw fail(`${where} sheet is ${image.width}x${image.height}, expected ${perRow * texels}x${bands * rows} for layout ${JSON.stringify(layout)}`);
  }
  const matrices: Float32Array[] = [];
  for (let model = 0; model < models; model++) {
    const [bx, by] = [model % perRow, Math.floor(model / perRow)];
    const matrix = new Float32Array(rows * outputs);
    for (let r = 0; r < rows; r++) {
      // Row r of the block, 4 consecutive outputs per RGBA pixel: a row-major [rows, outputs] matrix.
      const start = ((by * rows + r) * image.width + bx * texels) * 4;
      for (let o = 0; o < outputs; o++) {
        matrix[r * outputs + o] = ((image.data[start + o]! - 127) / 255) * scale;
      }
    }
    matrices.push(matrix);
  }
  return matrices;
}

/**
 * Reads a parsed `models.json` of the texture article into one NcaModel per model, in the file's
 * order, each with DISTILL_TEXTURE_CONFIG and its name and credit in `source` metadata. The
 * inputs of layer 0 are filter-major (filter * 12 + channel), which is ours. Throws
 * DistillFormatError for any other shape.
 */
export function importDistillTextures(json: unknown, options: { source?: string } = {}): { name: string; model: NcaModel }[] {
  const fail = (why: string): DistillFormatError => new DistillFormatError(`not a Distill texture models file: ${why}`, options.source);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw fail(`expected a JSON object with model_names and layers, got ${describeJson(json)}`);
  }
  const { model_names: names, layers } = json as Record<string, unknown>;
  if (!Array.isArray(names) || names.length === 0 || !names.every((name) => typeof name === 'string' && NAME.test(name))) {
    throw fail('model_names must be a non-empty array of names (letters, digits, _ - .)');
  }
  if (new Set(names).size !== names.length) {
    throw fail('model_names has a name twice');
  }
  if (!Array.isArray(layers) || layers.length !== LAYERS.length) {
    throw fail(`layers must be an array of 2 layer objects, got ${describeJson(layers)}`);
  }
  const [first, second] = [readLayer(layers[0], 0, names.length, fail), readLayer(layers[1], 1, names.length, fail)];
  return (names as string[]).map((name, i) => {
    const split = (matrix: Float32Array, { inputs, outputs }: (typeof LAYERS)[number]) => ({
      weight: matrix.slice(0, inputs * outputs),
      bias: matrix.slice(inputs * outputs),
    });
    const [one, two] = [split(first[i]!, LAYERS[0]), split(second[i]!, LAYERS[1])];
    return {
      name,
      model: {
        config: { ...DISTILL_TEXTURE_CONFIG },
        params: { dense1Weight: one.weight, dense1Bias: one.bias, dense2Weight: two.weight, dense2Bias: two.bias },
        source: { format: 'distill-textures-webgl-uint8', name, index: i, ...DISTILL_TEXTURES_CREDIT },
      },
    };
  });
}
