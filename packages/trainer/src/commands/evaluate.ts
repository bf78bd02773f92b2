import {
  evaluateModel,
  evaluateTexture,
  kernelRunMemory,
  sharedKernel,
  SOLID_ALPHA,
  type EvalOptions,
  type EvalReport,
  type RolloutKernel,
  type TextureReport,
} from '@nca-studio/core';
import { MATURE_ALPHA, type NcaModel } from '@nca-studio/weights-format';
import { guardInference } from '../backends/budget.ts';
import { EXIT_OK, NcaError } from '../errors.ts';
import { loadExemplar, loadTarget, targetFromFlags } from '../images/target.ts';
import type { CommandIo } from './io.ts';
import { loadModel } from './inspect.ts';

export type { EvalOptions, EvalReport };

/**
 * Core's evaluateModel with the CLI's checks: a stored target on the model's grid, and the
 * memory of the batches held at once (the grown one and the two damaged ones).
 */
export async function evaluate(model: NcaModel, options: EvalOptions = {}, kernel?: RolloutKernel): Promise<EvalReport> {
  if (model.target === undefined) {
    throw new NcaError('BAD_MODEL', 'this model file stores no target image, so there is nothing to compare with (train it with nca train, which stores one)');
  }
  const { config } = model;
  const { width, height } = model.target;
  if (width !== config.gridWidth || height !== config.gridHeight) {
    throw new NcaError('BAD_MODEL', `the stored target is ${width}x${height} but the model's grid is ${config.gridWidth}x${config.gridHeight}`);
  }
  const seeds = options.seeds ?? 8;
  // Held at once: the grown batch and the two damaged ones; in the kernel, the two damaged.
  guardInference(
    'evaluating',
    kernelRunMemory(config, { width, height }, { held: 3 * seeds, batch: 2 * seeds }, '--seeds (or run the model on a smaller grid)'),
    'kernel',
  );
  return evaluateModel({ ...model, target: model.target }, options, kernel ?? (await sharedKernel()));
}

export function formatEval(path: string, r: EvalReport): string {
  const e = (v: number): string => v.toExponential(3);
  return [
    `${path}: ${r.gridWidth}x${r.gridHeight}, ${r.seeds} seeds, ${r.steps.max} steps of growth and of regrowth (RGBA MSE vs the stored target)`,
    `  growth loss                 ${e(r.growth)}`,
    `  growth alpha-mask IoU       ${r.growthIou.toFixed(3)}   cells with alpha > ${MATURE_ALPHA} in both / in either`,
    `    error inside / edge / outside   ${e(r.growthSplit.inside)} / ${e(r.growthSplit.edge)} / ${e(r.growthSplit.outside)}   by the target's alpha (> ${SOLID_ALPHA}, between, <= ${MATURE_ALPHA})`,
    `    cells grown only / target only  ${r.growthSplit.grownOnly.toFixed(1)} / ${r.growthSplit.targetOnly.toFixed(1)}   where the two alpha masks disagree (grown only: the haze)`,
    `  interior detail error       ${r.detail === null ? 'none to judge (the inside is one flat colour)' : `${r.detail.toFixed(3)}   RGB steps between neighbours inside the target, wrong / wanted (0 crisp, 1 a flat blob)`}`,
    `  persistence loss            ${e(r.persistence)}   after ${r.persistenceSteps} steps`,
    `  regrowth loss, centre       ${e(r.regrowth)}   disc of radius ${r.damageRadius.toFixed(1)} erased`,
    `  regrowth loss, off-centre   ${e(r.regrowthOffCentre)}`,
    `  regrowth / growth           ${r.ratio.toFixed(2)}`,
  ].join('\n');
}

/**
 * A texture model's figures (docs/design.md §4.9) against its stored exemplar, or `--target`'s
 * picture shrunk to 128 px: the distance after 500, 1000 and 2000 steps from zeros on 128x128,
 * its stability, and a cut's healing.
 */
async function evalTexture(path: string, model: NcaModel, flags: EvalFlags, io: CommandIo): Promise<number> {
  if (flags.emoji !== undefined) {
    throw new NcaError('BAD_FLAG', '--emoji gives a growing target; a texture model is compared with an exemplar picture: --target FILE|URL');
  }
  const source = targetFromFlags(flags);
  const exemplar = source === undefined ? model.target : await loadExemplar(source, 128).then((e) => ({ width: e.width, height: e.height, data: e.rgba8 }));
  if (exemplar === undefined) {
    throw new NcaError('BAD_MODEL', 'this texture model stores no exemplar to compare with: give one with --target FILE|URL');
  }
  const seeds = Math.min(flags.seeds, 16);
  guardInference('evaluating', kernelRunMemory(model.config, { width: 128, height: 128 }, { held: 1, batch: 1 }), 'kernel');
  const report = evaluateTexture(model, exemplar, await sharedKernel(), { seeds, seed: flags.seed });
  io.log(flags.json ? JSON.stringify({ model: path, ...report }) : formatTextureEval(path, report));
  return EXIT_OK;
}

export function formatTextureEval(path: string, r: TextureReport): string {
  const f = (v: number): string => v.toFixed(3);
  return [
    `${path}: a texture on ${r.size}x${r.size} from zeros, ${r.seeds} seeds (texture distance: random-filter Gram matrices at 3 scales and the mean colour, 0 = the exemplar's)`,
    ...r.distance.map((d) => `  distance after ${String(d.steps).padEnd(5)} steps  ${f(d.value)}`),
    `  stability (2000 / 500)       ${r.stability.toFixed(2)}   above 1: it fades or drifts`,
    `  after a cut, healed 200 steps ${f(r.healed)}   (${r.healRatio.toFixed(2)} x before the cut); mean RGB change inside the cut ${f(r.healedChange)}`,
  ].join('\n');
}

/** `nca eval`'s flags, as the CLI parses them. */
export interface EvalFlags {
  seeds: number;
  persistenceSteps: number;
  seed: number;
  json?: boolean;
  emoji?: string;
  target?: string;
  padding: number;
}

/**
 * `nca eval MODEL`: the model's figures against its stored target, or against --emoji /
 * --target placed in its grid with --padding. Exit 1 when a figure diverged.
 */
export async function evalCommand(path: string, flags: EvalFlags, io: CommandIo): Promise<number> {
  const { model } = await loadModel(path);
  const source = targetFromFlags(flags);
  if (model.config.start === 'zeros') {
    return evalTexture(path, model, flags, io);
  }
  if (source !== undefined) {
    const size = Math.min(model.config.gridWidth, model.config.gridHeight) - 2 * flags.padding;
    if (size < 4) {
      throw new NcaError('BAD_FLAG', `--padding ${flags.padding} leaves no room for a target on a ${model.config.gridWidth}x${model.config.gridHeight} grid`);
    }
    const target = await loadTarget(source, { size, padding: flags.padding });
    if (target.width !== model.config.gridWidth || target.height !== model.config.gridHeight) {
      throw new NcaError(
        'BAD_FLAG',
        `the target comes out ${target.width}x${target.height}, the model's grid is ${model.config.gridWidth}x${model.config.gridHeight}; adjust --padding`,
      );
    }
    model.target = { width: target.width, height: target.height, data: target.rgba8 };
  }
  const report = await evaluate(model, { seeds: flags.seeds, persistenceSteps: flags.persistenceSteps, seed: flags.seed });
  io.log(flags.json ? JSON.stringify({ model: path, ...report }) : formatEval(path, report));
  if (report.diverged) {
    throw new NcaError('DIVERGED', `warning: ${path} diverged: a loss is not finite (the state blew up to NaN or infinity)`);
  }
  return EXIT_OK;
}
