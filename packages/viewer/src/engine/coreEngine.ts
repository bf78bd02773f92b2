import * as tf from '@tensorflow/tfjs-core';
import { aliveMask, createRng, damageDisc, disposeParams, paramsToTensors, perceive, seedArray, startArray, step, updateRule } from '@nca-studio/core';
import type { Disc } from '@nca-studio/core';
import type { Engine, EngineModel, PassTiming, StateTextures, StepOptions } from './engine.ts';
import type { Gpu } from './gpu.ts';
import { groupCount } from './shaders.ts';

export interface CoreOptions {
  width: number;
  height: number;
  /** Seed of the fire-mask RNG. */
  seed?: number;
}

/**
 * The CA as core's own `step` (tfjs ops, one program per op) on tfjs's WebGL backend: the
 * reference the fused engine is tested against, and the fallback where it cannot run.
 */
export function createCoreEngine(gpu: Gpu, model: EngineModel, options: CoreOptions): Engine {
  const { width, height } = options;
  const { config } = model;
  const channels = config.channels;
  const groups = groupCount(channels);
  const grid = { width, height, channels };
  const params = paramsToTensors(model.params, config);
  const rng = createRng(options.seed ?? 1);
  let state: tf.Tensor4D = tf.tensor4d(startArray(config, grid), [1, height, width, channels]);
  let disposed = false;

  const replace = (next: tf.Tensor4D): void => {
    state.dispose();
    state = next;
  };

  const runStep = (options: StepOptions): void => {
    const stepConfig = { ...config, angle: options.angle };
    if (options.fire !== undefined) {
      const fire = tf.tensor4d(options.fire, [1, height, width, 1]);
      replace(step(state, params, stepConfig, { fire }));
      fire.dispose();
    } else {
      replace(step(state, params, stepConfig, { rng }));
    }
  };

  const finish = async (): Promise<void> => {
    const corner = tf.slice(state, [0, 0, 0, 0], [1, 1, 1, 1]);
    await corner.data();
    corner.dispose();
  };

  return {
    kind: 'core',
    precision: gpu.precision,
    width,
    height,
    channels,

    step(count, options) {
      for (let i = 0; i < count; i++) {
        runStep(options);
      }
    },

    reset() {
      replace(tf.tensor4d(startArray(config, grid), [1, height, width, channels]));
    },

    damage(disc: Disc) {
      replace(damageDisc(state, [disc]));
    },

    plant(x, y) {
      const at = { x: Math.round(x), y: Math.round(y) };
      const cell = new Float32Array(width * height);
      cell[at.y * width + at.x] = 1;
      replace(
        tf.tidy(() => {
          const mask = tf.tensor4d(cell, [1, height, width, 1]);
          const seed = tf.tensor4d(seedArray(grid, 1, at), [1, height, width, channels]);
          return tf.add(tf.mul(state, tf.sub(1, mask)), seed) as tf.Tensor4D;
        }),
      );
    },

    write(values) {
      if (values.length !== width * height * channels) {
        throw new RangeError(`state has ${values.length} values, expected ${height} x ${width} x ${channels}`);
      }
      replace(tf.tensor4d(values, [1, height, width, channels]));
    },

    async read() {
      return new Float32Array(await state.data());
    },

    sync: finish,

    view(): StateTextures {
      // Each group of 4 channels copied into a dense RGBA texture, one texel per cell.
      const parts = tf.tidy(() => {
        const padded =
          channels === 4 * groups
            ? state
            : tf.pad(state, [
                [0, 0],
                [0, 0],
                [0, 0],
                [0, 4 * groups - channels],
              ]);
        return groups === 1 ? [tf.clone(padded)] : tf.split(padded, groups, 3);
      });
      const gpuData = parts.map((part) => part.dataToGPU({ customTexShape: [height, width] }));
      parts.forEach((part) => part.dispose());
      return {
        textures: gpuData.map((data) => data.texture!),
        release: () => gpuData.forEach((data) => data.tensorRef.dispose()),
      };
    },

    async profile(count, options) {
      const time = async (run: () => tf.Tensor | null): Promise<number> => {
        await finish();
        const start = performance.now();
        let last: tf.Tensor | null = null;
        for (let i = 0; i < count; i++) {
          last?.dispose();
          last = run();
        }
        if (last !== null) {
          await last.data();
          last.dispose();
        } else {
          await finish();
        }
        return (performance.now() - start) / count;
      };
      const stepConfig = { ...config, angle: options.angle };
      const total = await time(() => {
        runStep(options);
        return null;
      });
      const perceiveMs = await time(() => perceive(state, stepConfig));
      const perception = perceive(state, stepConfig);
      const updateRuleMs = await time(() => updateRule(perception, params, stepConfig));
      perception.dispose();
      const aliveMs = await time(() => aliveMask(state, stepConfig));
      const passes: PassTiming[] = [
        { name: 'perceive', msPerStep: perceiveMs },
        { name: 'updateRule', msPerStep: updateRuleMs },
        { name: 'aliveMask', msPerStep: aliveMs * (config.aliveMasking === 'pre-post' ? 2 : 1) },
      ];
      const rest = total - passes.reduce((sum, pass) => sum + pass.msPerStep, 0);
      passes.push({ name: 'stochasticUpdate and the rest', msPerStep: Math.max(0, rest) });
      return passes;
    },

    dispose() {
      if (disposed) {
        return;
      }
      disposed = true;
      state.dispose();
      disposeParams(params);
    },
  };
}
