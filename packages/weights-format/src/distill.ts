// Import of the pretrained models of the Distill article "Growing Neural Cellular Automata"
// (Mordvintsev et al., 2020): the quantized files its WebGL demo loads. Each file is a JSON array
// of two layers, [48 -> 128 (ReLU), 128 -> 16]; each layer is a base64 uint8 matrix of
// (in_ch + 1) rows by out_ch columns, the last row being the bias.
import { DEFAULT_CONFIG, type NcaConfig } from './config.ts';
import type { NcaModel } from './model.ts';

/**
 * A file that is not a Distill model, or a damaged one. Like WeightsFormatError it is permanent:
 * report it, do not retry.
 */
export class DistillFormatError extends Error {
  override name = 'DistillFormatError';
  readonly code = 'BAD_DISTILL_FILE';
  /** The file name the caller passed as `source`, if any. */
  readonly source: string | undefined;

  constructor(detail: string, source?: string) {
    super(source === undefined ? detail : `${source}: ${detail}`);
    this.source = source;
  }
}

/**
 * The behaviour the Distill weights were trained with (the article's notebook, "regenerating"
 * setup): 16 channels, 128 hidden, zero padding on a 72x72 grid, Sobel / 8, no tanh, fire rate
 * 0.5, alive when the 3x3 max of alpha > 0.1 before and after the update.
 */
export const DISTILL_CONFIG: Readonly<NcaConfig> = Object.freeze({
  // Our defaults are the article's model (docs/design.md §3); distill.test.ts pins every value.
  ...DEFAULT_CONFIG,
  gridWidth: 72,
  gridHeight: 72,
});

/** Credit for the weights (CC BY 4.0), stored in the converted file's `source` metadata. */
export const DISTILL_CREDIT = Object.freeze({
  credit: 'Mordvintsev, Randazzo, Niklasson, Levin, "Growing Neural Cellular Automata", Distill, 2020',
  url: 'https://distill.pub/2020/growing-ca',
  license: 'CC BY 4.0',
  repository: 'https://github.com/distillpub/post--growing-ca',
  path: 'public/webgl_models8/',
});

/** Expected [in_ch, out_ch] of the two layers. */
const LAYERS = [
  { inputs: 3 * DISTILL_CONFIG.channels, outputs: DISTILL_CONFIG.hidden },
  { inputs: DISTILL_CONFIG.hidden, outputs: DISTILL_CONFIG.channels },
] as const;

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUES: ReadonlyMap<string, number> = new Map([...BASE64_ALPHABET].map((ch, i) => [ch, i]));

/** Standard base64 (RFC 4648, with padding) to bytes; null if the text is not valid base64. */
export function decodeBase64(text: string): Uint8Array | null {
  const clean = text.replace(/[\r\n]/g, '');
  if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) {
    return null;
  }
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((clean.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    let bits = 0;
    for (let j = 0; j < 4; j++) {
      const ch = clean[i + j]!;
      bits = (bits << 6) | (ch === '=' ? 0 : BASE64_VALUES.get(ch)!);
    }
    for (const shift of [16, 8, 0]) {
      if (o < out.length) {
        out[o++] = (bits >> shift) & 0xff;
      }
    }
  }
  return out;
}

/** The last part of a path or URL: metadata should not carry the converting machine's folders. */
function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** A JSON value in a message: its kind and size, never the whole of it. */
export function describeJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `an array of ${value.length}`;
  }
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : JSON.stringify(value);
}

interface Layer {
  weights: Float32Array;
  bias: Float32Array;
}

/** Checks one layer object and dequantizes it: `(q / 255 - 0.5) * scale`. */
function readLayer(layer: unknown, index: number, source: string | undefined): Layer {
  const { inputs, outputs } = LAYERS[index]!;
  const where = `layer ${index}`;
  const fail = (why: string): DistillFormatError => new DistillFormatError(`not a Distill model: ${where} ${why}`, source);
  if (typeof layer !== 'object' || layer === null || Array.isArray(layer)) {
    throw fail(`must be an object, got ${describeJson(layer)}`);
  }
  const { data_b64: data, in_ch: inCh, out_ch: outCh, weight_scale: weightScale, bias_scale: biasScale, type } = layer as Record<string, unknown>;
  if (type !== 'uint8') {
    throw fail(`has type ${describeJson(type)}, expected "uint8"`);
  }
  if (inCh !== inputs || outCh !== outputs) {
    throw fail(`is ${describeJson(inCh)} -> ${describeJson(outCh)}, expected in_ch ${inputs}, out_ch ${outputs} (16 channels, 128 hidden)`);
  }
  for (const [key, scale] of [
    ['weight_scale', weightScale],
    ['bias_scale', biasScale],
  ] as const) {
    if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 0) {
      throw fail(`${key} must be a finite number >= 0, got ${describeJson(scale)}`);
    }
  }
  if (typeof data !== 'string') {
    throw fail(`data_b64 must be a base64 string, got ${describeJson(data)}`);
  }
  const bytes = decodeBase64(data);
  if (bytes === null) {
    throw fail('data_b64 is not valid base64');
  }
  const expected = (inputs + 1) * outputs;
  if (bytes.length !== expected) {
    throw fail(`holds ${bytes.length} bytes, expected (${inputs} + 1) * ${outputs} = ${expected}`);
  }
  const dequantize = (q: number, scale: number): number => (q / 255 - 0.5) * scale;
  // Rows r < in_ch are the weights from input r, row-major [in, out] as in our files; the last row is the bias.
  const weights = new Float32Array(inputs * outputs);
  for (let i = 0; i < weights.length; i++) {
    weights[i] = dequantize(bytes[i]!, weightScale as number);
  }
  const bias = new Float32Array(outputs);
  for (let o = 0; o < outputs; o++) {
    bias[o] = dequantize(bytes[inputs * outputs + o]!, biasScale as number);
  }
  return { weights, bias };
}

/**
 * Reads a parsed Distill model file (`JSON.parse` of e.g. `ex3_🦎.json`) into an NcaModel that
 * behaves as the original: DISTILL_CONFIG, and the inputs of layer 0 kept in the file's
 * filter-major order, which is ours. `source` names the file in messages; `name` is stored with
 * the credit in the model's `source` metadata. Throws DistillFormatError for any other shape.
 */
export function importDistill(json: unknown, options: { source?: string; name?: string } = {}): NcaModel {
  const { source, name } = options;
  if (!Array.isArray(json) || json.length !== LAYERS.length) {
    throw new DistillFormatError(`not a Distill model: expected a JSON array of 2 layer objects, got ${describeJson(json)}`, source);
  }
  const [first, second] = [readLayer(json[0], 0, source), readLayer(json[1], 1, source)];
  return {
    config: { ...DISTILL_CONFIG },
    params: {
      dense1Weight: first.weights,
      dense1Bias: first.bias,
      dense2Weight: second.weights,
      dense2Bias: second.bias,
    },
    source: {
      format: 'distill-webgl-uint8',
      ...(name === undefined ? {} : { name }),
      ...(source === undefined ? {} : { file: baseName(source) }),
      ...DISTILL_CREDIT,
    },
  };
}
