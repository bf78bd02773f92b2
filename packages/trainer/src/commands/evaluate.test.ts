import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createParams, createRng } from '@nca-studio/core';
import { DEFAULT_CONFIG, type NcaConfig } from '@nca-studio/weights-format';
import { writeModel, type NcaModel } from '@nca-studio/weights-format';
import { describe, expect, it } from 'vitest';
import { main } from '../cli.ts';
import { NcaError } from '../errors.ts';
import { evaluate } from './evaluate.ts';

const config: NcaConfig = { ...DEFAULT_CONFIG, hidden: 8, gridWidth: 12, gridHeight: 12 };

/** An untrained model (it leaves the seed as it is) whose stored target is empty. */
function untrained(withTarget = true): NcaModel {
  return {
    config,
    params: createParams(config, createRng(1)),
    ...(withTarget ? { target: { width: 12, height: 12, data: new Uint8Array(12 * 12 * 4) } } : {}),
    training: { settings: { stepsMin: 5, stepsMax: 7 } },
  };
}

describe('evaluate', () => {
  it('gives the hand-computed figures for a model that does nothing', async () => {
    const r = await evaluate(untrained(), { seeds: 2, persistenceSteps: 20 });
    // The seed's one cell has alpha 1 against an empty target: one squared error of 1 among
    // 12 x 12 x 4 values, whatever the step count.
    const seedLoss = 1 / (12 * 12 * 4);
    expect(r.steps).toEqual({ min: 5, max: 7 });
    expect(r.growth).toBeCloseTo(seedLoss, 7);
    // The seed's cell against an empty target: nothing in common.
    expect(r.growthIou).toBe(0);
    expect(r.persistence).toBeCloseTo(seedLoss, 7);
    // A disc of radius 3 at the centre erases the seed: nothing is left, nothing differs.
    expect(r.damageRadius).toBe(3);
    expect(r.regrowth).toBe(0);
    expect(r.ratio).toBe(0);
  });

  it('gives the alpha-mask IoU of the grown pattern: 1 against the seed itself, a fraction against a larger shape', async () => {
    const target = new Uint8Array(12 * 12 * 4);
    target[(6 * 12 + 6) * 4 + 3] = 255;
    const same = await evaluate({ ...untrained(), target: { width: 12, height: 12, data: target } }, { seeds: 2, persistenceSteps: 10 });
    expect(same.growthIou).toBe(1);
    // Four cells wanted, the seed's one grown (alpha 0.1 exactly is not mature).
    for (const cell of [6 * 12 + 7, 7 * 12 + 6, 7 * 12 + 7]) {
      target[cell * 4 + 3] = 200;
    }
    target[(0 * 12 + 0) * 4 + 3] = 25;
    const part = await evaluate({ ...untrained(), target: { width: 12, height: 12, data: target } }, { seeds: 2, persistenceSteps: 10 });
    expect(part.growthIou).toBeCloseTo(1 / 4, 12);
    // The seed's cell matches the target; the three cells of alpha 200 are edge and did not
    // grow, the corner's alpha 25 is outside.
    const values = 12 * 12 * 4;
    expect(part.growthSplit.inside).toBe(0);
    expect(part.growthSplit.edge).toBeCloseTo((3 * (200 / 255) ** 2) / values, 7);
    expect(part.growthSplit.outside).toBeCloseTo((25 / 255) ** 2 / values, 7);
    expect(part.growthSplit.inside + part.growthSplit.edge + part.growthSplit.outside).toBeCloseTo(part.growth, 7);
    expect(part.growthSplit.targetOnly).toBe(3);
    expect(part.growthSplit.grownOnly).toBe(0);
    // Against the empty target the seed's cell is grown only, and its error is outside.
    const empty = await evaluate(untrained(), { seeds: 2, persistenceSteps: 10 });
    expect(empty.growthSplit).toMatchObject({ inside: 0, edge: 0, grownOnly: 1, targetOnly: 0 });
    expect(empty.growthSplit.outside).toBeCloseTo(empty.growth, 7);
  });

  it('refuses a model without a stored target', async () => {
    const error = await evaluate(untrained(false)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NcaError);
    expect((error as NcaError).message).toMatch(/stores no target/);
  });

  it('nca eval --json prints one JSON object', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nca-eval-'));
    const path = join(dir, 'model.safetensors');
    await writeFile(path, writeModel(untrained()));
    const out: string[] = [];
    const code = await main(['eval', path, '--json', '--seeds', '2', '--persistence-steps', '10'], {
      log: (l) => out.push(l),
      error: () => {},
    });
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const report = JSON.parse(out[0]!) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['growth', 'persistence', 'regrowth', 'regrowthOffCentre', 'ratio', 'seeds']));
    expect(report.seeds).toBe(2);
  });

  it('nca eval --emoji compares a model that stores no target (a converted Distill one) with an emoji', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nca-eval-'));
    const path = join(dir, 'bare.safetensors');
    const bare: NcaModel = { ...untrained(false), config: { ...config, gridWidth: 72, gridHeight: 72 }, training: { settings: { stepsMin: 2, stepsMax: 3 } } };
    await writeFile(path, writeModel(bare));
    const out: string[] = [];
    const err: string[] = [];
    const run = (extra: string[]) =>
      main(['eval', path, '--json', '--seeds', '1', '--persistence-steps', '5', ...extra], {
        log: (l) => out.push(l),
        error: (l) => err.push(l),
      });
    expect(await run([])).toBe(2);
    expect(err.join('\n')).toMatch(/stores no target/);
    expect(await run(['--emoji', '🦎'])).toBe(0);
    const report = JSON.parse(out.at(-1)!) as { growth: number; gridWidth: number };
    expect(report.gridWidth).toBe(72);
    // The seed alone against a 40 px lizard: a large loss, but a finite, positive one.
    expect(report.growth).toBeGreaterThan(1e-3);
    expect(await run(['--emoji', '🦎', '--padding', '40'])).toBe(2);
  });
});
