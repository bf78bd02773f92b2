import { describe, expect, it } from 'vitest';
import { benchTrainer, formatBench } from './bench.ts';
import { main } from '../cli.ts';

// Tiny configs: these check the arithmetic and the output contract, never the speed.
describe('benchTrainer', () => {
  it('times real training iterations and counts cell-steps without the warm-up', async () => {
    const result = await benchTrainer({ size: 12, batch: 1, steps: 4, iterations: 3, torch: false, backend: 'wasm', profile: true });
    expect(result).toMatchObject({ size: 12, padding: 3, targetPx: 6, batch: 1, steps: 4, iterations: 3, ratio: null });
    expect(result.torch.cellStepsPerSecond).toBeNull();
    expect(result.seconds).toHaveLength(3);
    expect(result.cellStepsPerSecond).toBeGreaterThan(0);
    expect(Number.isFinite(result.cellStepsPerSecond)).toBe(true);
    // 12 x 12 cells x 4 steps x batch 1, over iterations 2 and 3 only.
    const timed = result.seconds[1]! + result.seconds[2]!;
    expect(result.cellStepsPerSecond).toBeCloseTo((144 * 4 * 2) / timed, 6);
    const profile = result.profile!;
    expect(profile.kernels.length).toBeGreaterThan(0);
    expect(profile.kernels.map((k) => k.ms)).toEqual([...profile.kernels.map((k) => k.ms)].sort((a, b) => b - a));
    expect(profile.kernels.reduce((a, k) => a + k.share, 0)).toBeCloseTo(1, 6);
    // Op scopes (customGrad's forward) are not kernels: their time would be counted twice.
    expect(profile.kernels.map((k) => k.kernel)).not.toContain('forward');
    expect(profile.kernels.map((k) => k.kernel)).toContain('_FusedMatMul');
    expect(formatBench(result).at(-1)).toBe(`cell_steps_per_s ${Math.round(result.cellStepsPerSecond)}`);
  });

  it('refuses a grid with no room for the target', async () => {
    await expect(benchTrainer({ size: 12, padding: 6, torch: false, backend: 'wasm' })).rejects.toThrow(/--size 12 leaves no room/);
  });
});

describe('nca bench', () => {
  it('prints cell_steps_per_s last', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['bench', '--size', '12', '--batch', '1', '--steps', '4', '--iterations', '3', '--no-torch', '--backend', 'wasm'], {
      log: (l) => out.push(l),
      error: (l) => err.push(l),
    });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out.at(-1)).toMatch(/^cell_steps_per_s [1-9]\d*$/);
    expect(out).toContain('torch  not run: not asked (--no-torch)');
  });

  it('refuses one iteration (all warm-up) with exit 2', async () => {
    const err: string[] = [];
    const code = await main(['bench', '--iterations', '1', '--no-torch'], { log: () => {}, error: (l) => err.push(l) });
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/--iterations.*expected an integer from 2/);
  });
});
