import { describe, expect, it } from 'vitest';
import { clockGhz, machinePeak, workPerCellStep } from './benchPeak.ts';

describe("the machine's limit", () => {
  it('counts the multiply-adds of a computed cell-step: perception and the update rule, forward and twice backward', () => {
    // 16 channels, 128 hidden: perception 432, update 8,192; 432 + 8,192 + 2 x 8,192 + 2 x 432.
    expect(workPerCellStep(16, 128)).toEqual({ multiplyAdds: 25_872, flops: 51_744 });
  });

  it('derives the peak from the cores, the clock and the instructions: 16 flops a cycle with fused multiply-add, 8 without', () => {
    expect(machinePeak('relaxed-simd', 2, 2.5)).toMatchObject({ flopsPerCycle: 16, gflops: 80 });
    expect(machinePeak('simd', 2, 2.5)).toMatchObject({ flopsPerCycle: 8, gflops: 40 });
    expect(machinePeak('simd', 1, 2).how).toBe('1 core(s) x 2.00 GHz x 8 flops/cycle (2 vector pipes x 4 lanes x 1, SIMD128 multiply or add)');
  });

  it("reads this machine's clock (Node's figure, else /proc/cpuinfo)", () => {
    const ghz = clockGhz();
    expect(ghz === null || (ghz > 0.1 && ghz < 10)).toBe(true);
  });
});
