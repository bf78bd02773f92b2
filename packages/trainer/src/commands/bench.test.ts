import { describe, expect, it } from 'vitest';
import { benchTrainer, formatBench, grownPool } from './bench.ts';
import { main } from '../cli.ts';

// Tiny configs: these check the arithmetic and the output contract, never the speed.
describe('benchTrainer', () => {
  it('times real training iterations in both modes and counts cell-steps without the warm-up', async () => {
    const result = await benchTrainer({ size: 12, batch: 2, steps: 4, iterations: 3, torch: false, backend: 'wasm', workers: 1 });
    expect(result).toMatchObject({ size: 12, padding: 3, targetPx: 6, batch: 2, steps: 4, iterations: 3, gradient: 'kernel' });
    expect(result.torch.cellStepsPerSecond).toBeNull();
    expect(result.modes.map((m) => m.mode)).toEqual(['seed', 'pool']);
    for (const mode of result.modes) {
      expect(mode.seconds).toHaveLength(3);
      expect(mode.ratio).toBeNull();
      // 12 x 12 cells x 4 steps x batch 2, over iterations 2 and 3 only.
      const timed = mode.seconds[1]! + mode.seconds[2]!;
      expect(mode.cellStepsPerSecond).toBeCloseTo((144 * 4 * 2 * 2) / timed, 6);
    }
    expect(formatBench(result).at(-1)).toBe(`cell_steps_per_s ${Math.round(result.modes[1]!.cellStepsPerSecond)}`);
  });

  it('says how close the kernel runs to this CPU: the cell-steps it computed, their arithmetic, the share of the peak', async () => {
    const result = await benchTrainer({ size: 12, batch: 2, steps: 4, iterations: 3, torch: false, backend: 'wasm', workers: 1, mode: 'pool' });
    const [mode] = result.modes;
    // A grown pool: some cells fire and live, never more than the grid has.
    expect(mode!.activeCellStepsPerSecond).toBeGreaterThan(0);
    expect(mode!.activeCellStepsPerSecond!).toBeLessThanOrEqual(mode!.cellStepsPerSecond * 1.000001);
    expect(mode!.gflops).toBeCloseTo((mode!.activeCellStepsPerSecond! * 2 * (27 * 16 * 3 + 3 * (3 * 16 * 128 + 128 * 16))) / 1e9, 6);
    expect(result.peak).toMatchObject({ cores: 1, flopsPerCycle: 16 });
    expect(mode!.peakShare).toBeCloseTo(mode!.gflops! / result.peak!.gflops, 9);
    expect(formatBench(result).join('\n')).toMatch(
      /computed \d+ cell-steps\/s \(fired and alive, \d+% of the grid's\), 51,744 flops each: [\d.]+ GFLOP\/s, \d+% of this CPU's peak of \d+ GFLOP\/s \(1 core\(s\) x [\d.]+ GHz x 16 flops\/cycle/,
    );
  });

  it('times the routes of --compare on the same run after ours, with the ratios', async () => {
    const result = await benchTrainer({
      size: 12,
      batch: 2,
      steps: 4,
      iterations: 2,
      torch: false,
      backend: 'wasm',
      workers: 1,
      mode: 'seed',
      compare: ['tfjs', 'kernel'],
    });
    // The route asked for is not timed twice.
    expect(result.compared.map((c) => c.gradient)).toEqual(['tfjs']);
    expect(result.compared[0]!.modes.map((m) => m.mode)).toEqual(['seed']);
    const other = result.compared[0]!.modes[0]!.cellStepsPerSecond;
    expect(other).toBeGreaterThan(0);
    const line = formatBench(result).find((l) => l.startsWith('tfjs'))!;
    expect(line).toContain(
      `cell_steps_per_s ${Math.round(other)} (tfjs op by op on wasm); ours / tfjs ${(result.modes[0]!.cellStepsPerSecond / other).toFixed(2)}`,
    );
  });

  it('profiles the tfjs route by kernel', async () => {
    const result = await benchTrainer({
      size: 12,
      batch: 1,
      steps: 4,
      iterations: 2,
      torch: false,
      backend: 'wasm',
      gradient: 'tfjs',
      mode: 'seed',
      profile: true,
    });
    expect(result.modes.map((m) => m.mode)).toEqual(['seed']);
    const profile = result.profile!;
    expect(profile.kernels.length).toBeGreaterThan(0);
    expect(profile.kernels.map((k) => k.ms)).toEqual([...profile.kernels.map((k) => k.ms)].sort((a, b) => b - a));
    expect(profile.kernels.reduce((a, k) => a + k.share, 0)).toBeCloseTo(1, 6);
    // Op scopes (customGrad's forward) are not kernels: their time would be counted twice.
    expect(profile.kernels.map((k) => k.kernel)).not.toContain('forward');
    expect(profile.kernels.map((k) => k.kernel)).toContain('_FusedMatMul');
  });

  it('fills the pool mode with grown patterns: the target where it is visible, hidden channels random', () => {
    const target = new Float32Array([0, 0, 0, 0, 0.5, 0.25, 0, 0.5]);
    const pool = grownPool(target, 2, 6, 1);
    expect(Array.from(pool.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(pool.subarray(6, 10))).toEqual([0.5, 0.25, 0, 0.5]);
    expect(Math.abs(pool[10]!)).toBeGreaterThan(0);
    expect(Math.abs(pool[10]!)).toBeLessThanOrEqual(0.5);
    expect(Array.from(pool.subarray(18, 22))).toEqual([0.5, 0.25, 0, 0.5]);
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
