import * as tf from '@tensorflow/tfjs-core';
import type { NcaConfig } from '@nca-studio/weights-format';
import { aliveMask } from './aliveMask.ts';
import type { CaParams } from './params.ts';
import { perceive } from './perceive.ts';
import { fireMask, stochasticUpdate } from './stochasticUpdate.ts';
import type { Rng } from './rng.ts';
import { updateRule } from './updateRule.ts';

/** Where a step's randomness comes from: a seedable RNG, or a fixed fire mask [B, H, W, 1]. */
export type FireSource = { rng: Rng; fire?: undefined } | { fire: tf.Tensor4D; rng?: undefined };

/**
 * One CA step, docs/design.md §3.1-3.5. Pure tfjs ops: usable inside a gradient tape and outside it.
 * Does not dispose its input.
 */
export function step(state: tf.Tensor4D, params: CaParams, config: NcaConfig, source: FireSource): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w] = state.shape;
    const pre = config.aliveMasking === 'pre-post' ? aliveMask(state, config) : null;
    const perception = perceive(state, config);
    const ds = updateRule(perception, params, config);
    const fire = source.fire ?? fireMask(source.rng, [b, h, w], config.fireRate);
    const updated = stochasticUpdate(state, ds, fire);
    let next: tf.Tensor4D = updated;
    if (config.aliveMasking !== 'none') {
      const post = aliveMask(updated, config);
      // docs/design.md §3.4: pre- and post-update masks are ANDed.
      const alive: tf.Tensor4D = pre === null ? post : tf.mul(pre, post);
      next = tf.mul(updated, alive);
    }
    // §3.6: the texture model's state stays within its bound.
    if (config.clip !== null) {
      next = tf.clipByValue(next, -config.clip, config.clip);
    }
    return config.clampRgba ? clampRgba(next) : next;
  });
}

/** docs/design.md §3.5: channels 0..3 clamped to [0, 1], hidden channels untouched. */
export function clampRgba(state: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, c] = state.shape;
    const rgba = tf.clipByValue(tf.slice(state, [0, 0, 0, 0], [b, h, w, 4]), 0, 1);
    return c === 4 ? rgba : tf.concat([rgba, tf.slice(state, [0, 0, 0, 4], [b, h, w, c - 4])], 3);
  });
}

/** A step with its fire mask given: `step`'s reference ops, or `trainingStep` (equal, faster forward). */
export type StepFunction = (state: tf.Tensor4D, params: CaParams, config: NcaConfig, fire: tf.Tensor4D) => tf.Tensor4D;

/**
 * Per-step work of a run (damage, frames, statistics): called with the state after `t` steps,
 * for t = 0 .. steps. A tensor it returns replaces the state; the run disposes the old one.
 */
export type StepHook = (state: tf.Tensor4D, t: number) => tf.Tensor4D | void;

export interface RunOptions {
  /** Default: `step`. */
  step?: StepFunction;
  each?: StepHook;
}

const referenceStep: StepFunction = (state, params, config, fire) => step(state, params, config, { fire });

/**
 * The run loop: `steps` steps, each with a fire mask drawn from `rng` for the whole batch,
 * disposing every intermediate state; the input is left alone.
 */
export function run(state: tf.Tensor4D, params: CaParams, config: NcaConfig, steps: number, rng: Rng, options: RunOptions = {}): tf.Tensor4D {
  const stepFn = options.step ?? referenceStep;
  let current = tf.clone(state);
  for (let t = 0; ; t++) {
    const replaced = options.each?.(current, t);
    if (replaced !== undefined && replaced !== current) {
      current.dispose();
      current = replaced;
    }
    if (t >= steps) {
      return current;
    }
    const [b, h, w] = current.shape;
    const x = current;
    const next = tf.tidy(() => stepFn(x, params, config, fireMask(rng, [b, h, w], config.fireRate)));
    current.dispose();
    current = next;
  }
}
