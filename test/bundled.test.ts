// The viewer's bundled models (packages/viewer/public/models) and textures (models/textures):
// each loads, regrows (or weaves) and holds as its manifest says, checked with `nca eval` on the manifest's own seeds (a model's regrowth
// differs from seed to seed by more than any backend's floats: the lizard's ratio is 1.51 over
// 8 seeds and 1.60 over 16).
import { readFile } from 'node:fs/promises';
import { evaluateTexture, sharedKernel } from '@nca-studio/core';
import { evaluate } from '@nca-studio/trainer';
import { decodeSafetensors, readModel } from '@nca-studio/weights-format';
import { describe, expect, it } from 'vitest';

interface Entry {
  id: string;
  file: string;
  gridWidth: number;
  gridHeight: number;
  command: string;
  form: 'u8' | 'f16' | 'f32';
  eval: { seeds: number; ratio: number; growth: number; persistence: number };
}

const folder = new URL('../packages/viewer/public/models/', import.meta.url);
const manifest = JSON.parse(await readFile(new URL('index.json', folder), 'utf8')) as { title: string; models: Entry[] };

describe('bundled models', () => {
  it('there are at least three, each with its training command and eval figures', () => {
    expect(manifest.models.length).toBeGreaterThanOrEqual(3);
    for (const m of manifest.models) {
      expect(m.command).toMatch(/^pnpm nca train /);
      expect(m.eval.ratio).toBeGreaterThan(0);
      // The viewer runs them for ever: none may explode or fade (an exploded model scores
      // 0.2 and more; these hold near their growth loss).
      expect(m.eval.persistence).toBeLessThan(0.1);
    }
  });

  it("each file is stored in its manifest's form (the smallest that keeps its eval goals)", async () => {
    const dtypes = { u8: 'U8', f16: 'F16', f32: 'F32' } as const;
    for (const m of manifest.models) {
      const { tensors } = decodeSafetensors(await readFile(new URL(m.file, folder)));
      expect(tensors['dense1.weight']?.dtype, m.id).toBe(dtypes[m.form]);
    }
  });

  it.each(manifest.models.map((m) => [m.id, m] as const))(
    '%s loads, regrows within 1.2x of its recorded regrowth/growth and holds for 1000 steps',
    async (_, entry) => {
      const model = readModel(await readFile(new URL(entry.file, folder)), { source: entry.file });
      expect([model.config.gridWidth, model.config.gridHeight]).toEqual([entry.gridWidth, entry.gridHeight]);
      expect(model.target).toBeDefined();
      const report = await evaluate(model, { seeds: entry.eval.seeds, persistenceSteps: 1000 });
      expect(Number.isFinite(report.growth)).toBe(true);
      expect(report.ratio).toBeLessThanOrEqual(entry.eval.ratio * 1.2);
      expect(report.persistence).toBeLessThanOrEqual(entry.eval.persistence * 1.5);
    },
  );
});

interface TextureEntry {
  id: string;
  file: string;
  command: string;
  form: 'u8' | 'f16' | 'f32';
  eval: { seeds: number; seed: number; distance: number; stability: number; heal_ratio: number };
}

const textures = JSON.parse(await readFile(new URL('textures/index.json', folder), 'utf8')) as { title: string; models: TextureEntry[] };

describe('bundled textures (docs/design.md §4.9)', () => {
  it('there are at least three, trained here on exemplars of the repository, each with its command and figures', () => {
    expect(textures.models.length).toBeGreaterThanOrEqual(3);
    for (const m of textures.models) {
      expect(m.command).toMatch(/^pnpm nca train --texture docs\/textures\/\w+\.svg /);
      expect(m.eval.distance).toBeGreaterThan(0);
    }
  });

  it.each(textures.models.map((m) => [m.id, m] as const))('%s is a texture model that weaves as its manifest says, and holds', async (_, entry) => {
    const bytes = await readFile(new URL(`textures/${entry.file}`, folder));
    expect(decodeSafetensors(bytes).tensors['dense1.weight']?.dtype).toBe({ u8: 'U8', f16: 'F16', f32: 'F32' }[entry.form]);
    const model = readModel(bytes, { source: entry.file });
    expect(model.config).toMatchObject({ start: 'zeros', laplacian: true, aliveMasking: 'none', display: 'rgb-signed' });
    const report = evaluateTexture(model, model.target!, await sharedKernel(), { seeds: entry.eval.seeds, seed: entry.eval.seed });
    const distance = report.distance.at(-1)!.value;
    // The texture's pointwise state depends on every rounding (each kernel build's), its statistics barely.
    expect(distance).toBeLessThanOrEqual(entry.eval.distance * 1.3);
    expect(report.stability).toBeLessThanOrEqual(entry.eval.stability * 1.3);
  });
});
