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
 * One CA step, SPEC §3 items 1-5. Pure tfjs ops: usable inside a gradient tape and outside it.
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
    const post = aliveMask(updated, config);
    // SPEC §3.4: pre- and post-update masks are ANDed.
    const alive: tf.Tensor4D = pre === null ? post : tf.mul(pre, post);
    const next = tf.mul(updated, alive);
    return config.clampRgba ? clampRgba(next as tf.Tensor4D) : (next as tf.Tensor4D);
  });
}

/** SPEC §3.5: channels 0..3 clamped to [0, 1], hidden channels untouched. */
export function clampRgba(state: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, c] = state.shape;
    const rgba = tf.clipByValue(tf.slice(state, [0, 0, 0, 0], [b, h, w, 4]), 0, 1);
    return c === 4 ? rgba : tf.concat([rgba, tf.slice(state, [0, 0, 0, 4], [b, h, w, c - 4])], 3);
  });
}

/** Runs `steps` steps, disposing every intermediate state; the input is left alone. */
export function run(state: tf.Tensor4D, params: CaParams, config: NcaConfig, steps: number, rng: Rng): tf.Tensor4D {
  let current = tf.clone(state);
  for (let i = 0; i < steps; i++) {
    const next = step(current, params, config, { rng });
    current.dispose();
    current = next;
  }
  return current;
}
