import { describe, expect, it } from 'vitest';
import { BudgetError, checkBudget, checkTrainingBudget, formatBytes, inferenceMemory, POOL_BYTES, rolloutMemory, routeMemory } from './budget.ts';

const config = { channels: 16, hidden: 128 };

describe('memory estimates', () => {
  it('count floats per cell: state in and out, one step of work; the rollout per step', () => {
    const grid = { width: 10, height: 10 };
    expect(inferenceMemory(config, grid).bytes).toBe(100 * (2 * 16 + 3 * 16 + 128 + 16 + 2) * 4);
    expect(inferenceMemory(config, grid, 3).bytes).toBe(3 * inferenceMemory(config, grid).bytes);
    const rollout = rolloutMemory(config, grid, 2, 50);
    expect(rollout.parts[0]!.bytes).toBe(2 * 100 * 50 * (2 * 16 + 2) * 4);
  });

  it("follow each route: the kernel keeps one sample's steps, tfjs the whole rollout", () => {
    const grid = { width: 56, height: 56 };
    const kernel = routeMemory('kernel', config, grid, 1, 96);
    expect(kernel.parts.map((p) => p.bytes)).toEqual([99 * 3136 * 16 * 4 + 2 * 96 * 3136, 3136 * (2 * 16 * 4 + 96)]);
    expect(routeMemory('tfjs', config, grid, 1, 96)).toEqual(rolloutMemory(config, grid, 1, 96));
    expect(routeMemory('webgpu', config, grid, 4, 96).bytes).toBeGreaterThan(routeMemory('webgpu', config, grid, 2, 96).bytes);
  });

  it('reads as people read sizes', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(340 * 2 ** 20), formatBytes(6.1 * 2 ** 30), formatBytes(26 * 2 ** 30)]).toEqual([
      '512 bytes',
      '1.5 KiB',
      '340 MiB',
      '6.1 GiB',
      '26 GiB',
    ]);
  });
});

describe('checkBudget', () => {
  it('passes what fits; names the figure, the largest part, the limit and the setting otherwise', () => {
    const estimate = {
      bytes: 3 * 2 ** 30,
      parts: [
        { what: 'a', bytes: 2 ** 30, setting: '--a' },
        { what: 'b', bytes: 2 * 2 ** 30, setting: '--b' },
      ],
    };
    expect(() => checkBudget('the task', estimate, 4 * 2 ** 30, 'limit')).not.toThrow();
    expect(() => checkBudget('the task', estimate, 2 ** 30, 'of the limit')).toThrow(
      new BudgetError('the task needs about 3.0 GiB (b: 2.0 GiB), over the 1.0 GiB of the limit; lower --b', estimate, 2 ** 30),
    );
  });

  it('lets the presets train and refuses a rollout or a pool beyond its limit', () => {
    const grid = { width: 72, height: 72 };
    const regenerating = { batch: 8, pool: 1024, stepsMax: 95 };
    for (const route of ['kernel', 'tfjs', 'webgpu'] as const) {
      expect(() => checkTrainingBudget(config, regenerating, grid, { workers: 2, route, backend: 'wasm', machineBytes: 24 * 2 ** 30 }), route).not.toThrow();
    }
    expect(() => checkTrainingBudget(config, { ...regenerating, stepsMax: 10_000 }, grid, { workers: 2, route: 'tfjs', backend: 'wasm' })).toThrow(
      /one wasm worker can hold; lower --steps/,
    );
    expect(() => checkTrainingBudget(config, { ...regenerating, stepsMax: 100_000 }, grid, { workers: 2, route: 'kernel' })).toThrow(
      /one rollout kernel can hold; lower --steps/,
    );
    expect(() => checkTrainingBudget(config, { ...regenerating, pool: 20_000 }, grid, { workers: 2, route: 'kernel' })).toThrow(BudgetError);
    expect(POOL_BYTES).toBeLessThan(20_000 * 72 * 72 * 16 * 4);
    // The whole run against a small machine.
    expect(() => checkTrainingBudget(config, regenerating, grid, { workers: 1, route: 'tfjs', machineBytes: 2 ** 30 })).toThrow(/75% of this machine's memory/);
  });
});
