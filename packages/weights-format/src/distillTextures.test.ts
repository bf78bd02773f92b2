import { describe, expect, it } from 'vitest';
import { TEXTURE_CONFIG } from './config.ts';
import { DistillFormatError } from './distill.ts';
import { importDistillTextures } from './distillTextures.ts';
import { readModel, writeModel } from './model.ts';
import { encodePng, mulberry32 } from './test-support.ts';

/** Standard base64 without Node's Buffer (the package has no Node types). */
function encodeBase64(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const kept = Math.min(4, bytes.length - i + 1);
    out +=
      [18, 12, 6, 0]
        .map((shift) => alphabet[(n >> shift) & 63]!)
        .slice(0, kept)
        .join('') + '='.repeat(4 - kept);
  }
  return out;
}

interface Sheet {
  json: { shape: number[]; layout: number[]; scale: number; data: string };
  bytes: Uint8Array;
  width: number;
}

/** One layer's sheet with random bytes, laid out [perRow, bands] as the demo's exporter does. */
function sheet(rows: number, outputs: number, layout: [number, number], scale: number, seed: number): Sheet {
  const width = layout[0] * (outputs / 4);
  const height = layout[1] * rows;
  const random = mulberry32(seed);
  const bytes = Uint8Array.from({ length: width * height * 4 }, () => Math.floor(random() * 256));
  const data = `data:image/PNG;base64,${encodeBase64(encodePng(width, height, bytes, [0, 1, 4]))}`;
  return { json: { shape: [rows, outputs], layout, scale, data }, bytes, width };
}

function modelsJson(names = ['bubbly_0101', 'banded_0037', 'mondrian']) {
  const layers = [sheet(49, 96, [2, 2], 2.0086, 1), sheet(97, 12, [3, 1], 1.2275, 2)];
  return { json: { model_names: names, layers: layers.map((layer) => layer.json) }, layers };
}

describe('importDistillTextures', () => {
  it('cuts each model out of the two sheets: block (i mod Lx, i div Lx), 4 outputs per pixel, bias last', () => {
    const { json, layers } = modelsJson();
    const models = importDistillTextures(json, { source: 'models.json' });
    expect(models.map((m) => m.name)).toEqual(['bubbly_0101', 'banded_0037', 'mondrian']);
    const byte = (layer: Sheet, rows: number, outputs: number, perRow: number, model: number, r: number, o: number): number => {
      const [bx, by] = [model % perRow, Math.floor(model / perRow)];
      return layer.bytes[((by * rows + r) * layer.width + bx * (outputs / 4)) * 4 + o]!;
    };
    const value = (q: number, scale: number): number => Math.fround(((q - 127) / 255) * scale);
    for (const [i, { model }] of models.entries()) {
      expect(model.config).toEqual(TEXTURE_CONFIG);
      expect(model.source).toMatchObject({ name: json.model_names[i], index: i, license: 'CC BY 4.0' });
      expect(model.params.dense1Weight).toHaveLength(48 * 96);
      expect(model.params.dense1Weight[5 * 96 + 7]).toBe(value(byte(layers[0]!, 49, 96, 2, i, 5, 7), 2.0086));
      expect(model.params.dense1Bias[95]).toBe(value(byte(layers[0]!, 49, 96, 2, i, 48, 95), 2.0086));
      expect(model.params.dense2Weight[95 * 12 + 11]).toBe(value(byte(layers[1]!, 97, 12, 3, i, 95, 11), 1.2275));
      expect(model.params.dense2Bias[0]).toBe(value(byte(layers[1]!, 97, 12, 3, i, 96, 0), 1.2275));
    }
    // A weights file holds it as it is.
    const { model } = models[1]!;
    expect(readModel(writeModel(model))).toEqual(model);
  });

  it('refuses files of another shape, one message each', () => {
    const refuse = (json: unknown, message: RegExp) => {
      expect(() => importDistillTextures(json, { source: 'models.json' })).toThrow(DistillFormatError);
      expect(() => importDistillTextures(json, { source: 'models.json' })).toThrow(message);
    };
    const { json } = modelsJson();
    refuse([1, 2], /^models\.json: not a Distill texture models file: expected a JSON object/);
    refuse({ ...json, model_names: ['../etc/passwd'] }, /model_names must be a non-empty array of names/);
    refuse({ ...json, model_names: ['a', 'a'] }, /has a name twice/);
    refuse({ ...json, model_names: ['a', 'b', 'c', 'd', 'e'] }, /layer 0 layout is \[2,2\], expected .* room for 5 models/);
    refuse({ ...json, layers: [json.layers[0]] }, /layers must be an array of 2 layer objects/);
    refuse({ ...json, layers: [{ ...json.layers[0], shape: [33, 96] }, json.layers[1]] }, /layer 0 shape is \[33,96\], expected \[49, 96\]/);
    refuse({ ...json, layers: [json.layers[0], { ...json.layers[1], scale: -1 }] }, /layer 1 scale must be a finite number > 0/);
    refuse({ ...json, layers: [{ ...json.layers[0], data: 'data:image/PNG;base64,AAAA' }, json.layers[1]] }, /layer 0 data: not a PNG file/);
    refuse({ ...json, layers: [{ ...json.layers[0], layout: [1, 3] }, json.layers[1]] }, /layer 0 sheet is 48x98, expected 24x147/);
  });
});
