// How close the rollout kernel runs to this CPU: the arithmetic of one cell-step it computes,
// and the CPU's peak for the instructions the kernel is built with (wasm SIMD128, with or
// without relaxed SIMD's fused multiply-add).
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { RolloutVariant } from '@nca-studio/core/training';

/**
 * The multiply-adds of one cell-step that runs the update rule, forward and backward, counted
 * as the math needs them (padding lanes, masks and copies not counted): forward, perception
 * (3 filters x 9 taps x C) and the update rule (3C x H, then H x C); backward, the update
 * rule's two products for dH and dP, its two weight-gradient products, and perception again
 * with its adjoint. A flop is a multiply or an add: two per multiply-add.
 */
export function workPerCellStep(channels: number, hidden: number): { multiplyAdds: number; flops: number } {
  const perception = 27 * channels;
  const update = 3 * channels * hidden + hidden * channels;
  const multiplyAdds = perception + update + 2 * update + 2 * perception;
  return { multiplyAdds, flops: 2 * multiplyAdds };
}

export interface MachinePeak {
  cores: number;
  ghz: number;
  flopsPerCycle: number;
  gflops: number;
  /** How the figure is derived, in one line. */
  how: string;
}

/**
 * The clock of this CPU as the OS reports it: Node's figure, or on Linux the first `cpu MHz` of
 * /proc/cpuinfo (virtual machines often give Node 0); null when neither says.
 */
export function clockGhz(): number | null {
  const node = cpus()[0]?.speed ?? 0;
  if (node > 0) {
    return node / 1000;
  }
  try {
    const mhz = /^cpu MHz\s*:\s*([\d.]+)/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return mhz === null || Number(mhz[1]) <= 0 ? null : Number(mhz[1]) / 1000;
  } catch {
    return null;
  }
}

/**
 * The CPU's peak for the kernel's instructions on `cores` cores: each core issues two 128-bit
 * vector floating-point operations a cycle (two FMA-capable pipes, as every x86-64 server core
 * since AMD Zen and Intel Haswell has), a SIMD128 vector holds 4 float32 lanes, and a fused
 * multiply-add (relaxed SIMD) is 2 flops where a plain multiply or add is 1: 16 flops a cycle
 * with relaxed SIMD, 8 without. The clock is the OS's report, not the turbo peak. `cores` is the
 * worker threads, each taken to have a core of its own: where two threads share a core (SMT),
 * the figure overstates the peak.
 */
export function machinePeak(variant: RolloutVariant, cores: number, ghz: number): MachinePeak {
  const flopsPerCycle = 2 * 4 * (variant === 'relaxed-simd' ? 2 : 1);
  return {
    cores,
    ghz,
    flopsPerCycle,
    gflops: cores * ghz * flopsPerCycle,
    how: `${cores} core(s) x ${ghz.toFixed(2)} GHz x ${flopsPerCycle} flops/cycle (2 vector pipes x 4 lanes x ${variant === 'relaxed-simd' ? '2, relaxed SIMD fused multiply-add' : '1, SIMD128 multiply or add'})`,
  };
}
