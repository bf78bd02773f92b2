// The published Distill models through `nca convert` and `nca render`'s engine: regrowth, the
// folder conversion, bad input. (Every fixture's 300-step run is in distill-runs-*.test.ts.)
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convert, convertFolder, loadModel, main, renderModel } from '@nca-studio/trainer';
import type { RenderResult } from '@nca-studio/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISTILL_DIR, HAS_DISTILL, LIZARD, SKIP_REASON } from './support/distillFixtures.ts';

/** Cells with alpha > 0.1, as a mask. */
function matureMask(result: RenderResult): Uint8Array {
  const mask = new Uint8Array(result.width * result.height);
  for (let i = 0; i < mask.length; i++) {
    mask[i] = result.state[i * result.channels + 3]! > 0.1 ? 1 : 0;
  }
  return mask;
}

function iou(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    both += a[i]! & b[i]!;
    either += a[i]! | b[i]!;
  }
  return either === 0 ? 0 : both / either;
}

describe('the Distill models', () => {
  if (!HAS_DISTILL) {
    it.skip(SKIP_REASON, () => {});
    return;
  }
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nca-distill-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the regenerating lizard regrows a disc of radius 12 erased at the centre', async () => {
    const output = join(dir, 'lizard.safetensors');
    await convert({ from: 'distill', input: join(DISTILL_DIR, LIZARD), output });
    const { model } = await loadModel(output);
    const grown = (await renderModel(model, { steps: 300, seed: 5 })).state;
    const intact = await renderModel(model, { steps: 300, seed: 6, start: grown });
    const erased = await renderModel(model, { steps: 0, start: grown, damage: [{ x: 36, y: 36, radius: 12, step: 0 }] });
    const regrown = await renderModel(model, { steps: 300, seed: 7, start: erased.state });
    const score = iou(matureMask(regrown), matureMask(intact));
    console.log(
      `regrowth: IoU of the alpha > 0.1 masks, regrown vs undamaged = ${score.toFixed(3)} (right after the damage: ${iou(matureMask(erased), matureMask(intact)).toFixed(3)})`,
    );
    // The damage really took something away, and it came back.
    expect(iou(matureMask(erased), matureMask(intact))).toBeLessThan(0.8);
    expect(score).toBeGreaterThanOrEqual(0.8);
  });

  it('nca convert --all writes every model and a manifest listing them', async () => {
    const out = join(dir, 'all');
    const manifest = await convertFolder({ from: 'distill', inputDir: DISTILL_DIR, outputDir: out });
    expect(manifest.title).toBe('Distill reference models');
    expect(manifest.models).toHaveLength(31);
    expect(manifest.models[0]).toEqual({ id: 'ex3_1f98e', name: '🦎 lizard (regenerating)', file: 'ex3_1f98e.safetensors', gridWidth: 72, gridHeight: 72 });
    expect(manifest.models.find((m) => m.id === 'ex3_planarian')).toMatchObject({ gridWidth: 96, gridHeight: 64 });
    expect(JSON.parse(await readFile(join(out, 'index.json'), 'utf8'))).toEqual(manifest);
    const planarian = await loadModel(join(out, 'ex3_planarian.safetensors'));
    expect(planarian.model.config.angle).toBeCloseTo(Math.PI / 2, 12);
  });

  it('nca convert --from distill on a file of another shape fails with one line and exit code 2', async () => {
    const lines: string[] = [];
    const io = { log: (l: string) => lines.push(l), error: (l: string) => lines.push(l) };
    // The fixtures' README is not JSON; a JSON object is not the 2-layer array.
    const object = join(dir, 'object.json');
    await writeFile(object, JSON.stringify({ layers: [] }));
    for (const input of [join(DISTILL_DIR, 'README.md'), object, join(dir, 'missing.json')]) {
      lines.length = 0;
      expect(await main(['convert', '--from', 'distill', input, join(dir, 'x.safetensors')], io)).toBe(2);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^nca: .*(not a Distill model|not found)/);
    }
  });
});
