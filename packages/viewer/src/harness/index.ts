// What the browser tests and the benchmark page drive, as window.nca: the public API and the
// harnesses that measure it. Not part of the package's public API.
export * from '../index.ts';
export { compareWithCore } from './conformance.ts';
export { benchmarkCase, fullState, grownState, syntheticModel } from './benchmark.ts';
export { benchmarkNaive } from './naive.ts';
export { kernelGradientOnPage, trainOnPage, webgpuGradientOnPage } from './training.ts';
export { targetOnPage } from './picture.ts';
export { PRESETS } from '@nca-studio/core';

export type { ConformanceOptions, ConformanceResult } from './conformance.ts';
export type { BenchmarkCase, BenchmarkRow, Scenario } from './benchmark.ts';
export type { NaiveRun } from './naive.ts';
export type { PageTraining } from './training.ts';
