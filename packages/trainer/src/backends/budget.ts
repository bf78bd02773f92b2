// The trainer's side of core's resource budget: this machine's memory, and the wasm heap of the
// backend in use. Every command checks before it does any work.
import { totalmem } from 'node:os';
import {
  checkBudget,
  checkTrainingBudget,
  KERNEL_ARENA_BYTES,
  MACHINE_SHARE,
  WASM_HEAP_BYTES,
  type GridSize,
  type MemoryEstimate,
  type TrainingSettings,
} from '@nca-studio/core';
import { type NcaConfig } from '@nca-studio/weights-format';
import type { GradientRoute } from './names.ts';

/** One CA run without gradients on `runner` (a tfjs backend, or core's rollout kernel): its heap, and this machine's memory. */
export function guardInference(task: string, estimate: MemoryEstimate, runner: string): void {
  if (runner === 'wasm') {
    checkBudget(task, estimate, WASM_HEAP_BYTES, 'the wasm backend can hold');
  }
  if (runner === 'kernel') {
    checkBudget(task, estimate, KERNEL_ARENA_BYTES, 'the rollout kernel can hold');
  }
  checkBudget(task, estimate, totalmem() * MACHINE_SHARE, `that is ${Math.round(MACHINE_SHARE * 100)}% of this machine's memory`);
}

/** The resource budget of a run (core's checkTrainingBudget) for its route, workers and backend on this machine. */
export function guardTraining(
  config: NcaConfig,
  training: TrainingSettings,
  grid: GridSize,
  execution: { workers: number; route: GradientRoute; backend: string },
): void {
  checkTrainingBudget(config, training, grid, { ...execution, machineBytes: totalmem() });
}
