// Cross-package tests run core on tfjs's wasm backend, as `nca render` does by default. tfjs-core
// alone registers no gradients in Node; the @tensorflow/tfjs bundle registers them on the same core.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

if (!(await tf.setBackend('wasm'))) {
  throw new Error('test/setup.ts: the tfjs wasm backend did not start');
}
await tf.ready();
