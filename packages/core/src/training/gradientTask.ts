import type { NcaConfig, NcaParams, TextureLossName } from '@nca-studio/weights-format';

/** One shard of a training batch: everything a worker needs, as plain arrays. */
export interface GradientTask {
  config: NcaConfig;
  params: NcaParams;
  /** [count, H, W, C] starting states. */
  states: Float32Array;
  count: number;
  steps: number;
  /** Fire draws, one byte per cell: [steps, count, H, W]. */
  fire: Uint8Array;
  /** [H, W, 4] premultiplied target. */
  target: Float32Array;
  /** The whole batch's size: shard losses are divided by it, so shard gradients add up. */
  batch: number;
  /** Weight of the overflow penalty (0: none); it steers the gradient but is not in `losses`. */
  overflowWeight: number;
  /** Weight of the outside penalty (0: none): like the overflow penalty, in the gradient only. */
  outsideWeight: number;
  /** Weight of the detail term (0: none; loss.ts): like the penalties, in the gradient only. */
  detailWeight: number;
  /**
   * d(loss)/d(final state) [count, H, W, C] from a loss computed outside the rollout (a texture's):
   * where given it replaces the target loss, the penalties and the detail term, and `losses` are 0.
   */
  finalGrad?: Float32Array;
  /**
   * A texture run's loss (docs/design.md §4.9): the exemplar's RGBA bytes [height, width, 4] and
   * the seed of this iteration's random directions (the same in every shard of a batch). The
   * route computes the loss on the final states and its gradient enters the backward pass;
   * `target`, the penalties and the detail term are then unused.
   */
  texture?: { exemplar: Uint8Array; width: number; height: number; seed: number; loss?: TextureLossName };
}

export interface GradientResult {
  /** d(batch loss)/d(param) contributed by this shard, in PARAM_NAMES order. */
  grads: Float32Array[];
  /** Per-sample losses of this shard (after the rollout). */
  losses: Float32Array;
  /** [count, H, W, C] final states, for the pool. */
  final: Float32Array;
  /**
   * The cell-steps that ran the update rule (fired, and alive where masks are taken before the
   * update), on the routes that count them (the wasm kernel): how much of the dense work was done.
   */
  activeCellSteps?: number;
}

/** A batch's rollout and gradient, by one of the routes (routes.ts), on this thread or shared out to workers. */
export type GradientFunction = (task: GradientTask) => Promise<GradientResult>;
