import { describe, expect, it } from 'vitest';
import { BudgetError, checkBudget, checkTrainingBudget, formatBytes, inferenceMemory, POOL_BYTES, rolloutMemory, WASM_HEAP_BYTES } from './budget.ts';

const config = { channels: 16, hidden: 128 };

describe('memory estimates', () => {
  it('count floats per cell: state in and out, one step of work; the rollout per step', () => {
    const grid = { width: 10, height: 10 };
    expect(inferenceMemory(config, grid).bytes).toBe(100 * (2 * 16 + 3 * 16 + 128 + 16 + 2) * 4);
    expect(inferenceMemory(config, grid, 3).bytes).toBe(3 * inferenceMemory(config, grid).bytes);
    const rollout = rolloutMemory(config, grid, 2, 50);
    expect(rollout.parts[0]!.bytes).toBe(2 * 100 * 50 * (2 * 16 + 2) * 4);
  });

  it('reads as people read sizes', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(340 * 2 ** 20), formatBytes(6.1 * 2 ** 30), formatBytes(26 * 2 ** 30)]).toEqual(['512 bytes', '1.5 KiB', '340 MiB', '6.1 GiB', '26 GiB']);
  });
});

describe('checkBudget', () => {
  it('passes what fits; names the figure, the largest part, the limit and the setting otherwise', () => {
    const estimate = { bytes: 3 * 2 ** 30, parts: [{ what: 'a', bytes: 2 ** 30, setting: '--a' }, { what: 'b', bytes: 2 * 2 ** 30, setting: '--b' }] };
    expect(() => checkBudget('the task', estimate, 4 * 2 ** 30, 'limit')).not.toThrow();
    expect(() => checkBudget('the task', estimate, 2 ** 30, 'of the limit')).toThrow(new BudgetError('the task needs about 3.0 GiB (b: 2.0 GiB), over the 1.0 GiB of the limit; lower --b', estimate, 2 ** 30));
  });

  it('lets the presets train and refuses a rollout or a pool beyond its limit', () => {
    const grid = { width: 72, height: 72 };
    const regenerating = { batch: 8, pool: 1024, stepsMax: 95 };
    expect(() => checkTrainingBudget(config, regenerating, grid, { workers: 2, perWorkerLimit: WASM_HEAP_BYTES, machineBytes: 24 * 2 ** 30 })).not.toThrow();
    expect(() => checkTrainingBudget(config, { ...regenerating, stepsMax: 10_000 }, grid, { workers: 2, perWorkerLimit: WASM_HEAP_BYTES })).toThrow(/one wasm worker can hold; lower --steps/);
    expect(() => checkTrainingBudget(config, { ...regenerating, pool: 20_000 }, grid, { workers: 2 })).toThrow(BudgetError);
    expect(POOL_BYTES).toBeLessThan(20_000 * 72 * 72 * 16 * 4);
    // The whole run against a small machine.
    expect(() => checkTrainingBudget(config, regenerating, grid, { workers: 1, machineBytes: 2 ** 30 })).toThrow(/75% of this machine's memory/);
  });
});
