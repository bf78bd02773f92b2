// tfjs's WebGL backend with only the kernels the viewer runs: core's step, damageDisc and seed
// (perceive, updateRule, aliveMask, stochasticUpdate, clampRgba), and the copies the display
// makes. Registering all of them would nearly double the widget's size. If core's step starts
// using another op, the browser tests (core engine, every config) fail with "kernel ... is not
// registered": add it here.
import { registerKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl/dist/base';
import { addConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Add';
import { batchMatMulConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/BatchMatMul';
import { castConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Cast';
import { clipByValueConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/ClipByValue';
import { concatConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Concat';
import { identityConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Identity';
import { maxPoolConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/MaxPool';
import { multiplyConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Multiply';
import { padV2Config } from '@tensorflow/tfjs-backend-webgl/dist/kernels/PadV2';
import { reluConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Relu';
import { reshapeConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Reshape';
import { sliceConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Slice';
import { splitVConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/SplitV';
import { stepConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Step';
import { subConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Sub';
import { tanhConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Tanh';

const KERNELS: readonly KernelConfig[] = [
  addConfig,
  batchMatMulConfig,
  castConfig,
  clipByValueConfig,
  concatConfig,
  identityConfig,
  maxPoolConfig,
  multiplyConfig,
  padV2Config,
  reluConfig,
  reshapeConfig,
  sliceConfig,
  splitVConfig,
  stepConfig,
  subConfig,
  tanhConfig,
];

let registered = false;

/** Registers the kernels once (a kernel registered twice only warns, but say it once). */
export function registerViewerKernels(): void {
  if (!registered) {
    registered = true;
    for (const config of KERNELS) {
      registerKernel(config);
    }
  }
}
