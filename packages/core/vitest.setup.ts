// Tests run core on tfjs's plain CPU backend. tfjs-core alone registers no gradients in Node;
// the @tensorflow/tfjs bundle registers all of them on the same tfjs-core, as a trainer does.
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';

await tf.setBackend('cpu');
