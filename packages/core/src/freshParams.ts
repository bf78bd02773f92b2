import { perceptionFilters, type NcaConfig, type NcaParams } from '@nca-studio/weights-format';
import type { Rng } from './rng.ts';

/**
 * Fresh parameters: glorot-uniform first layer, zero biases, zero last layer (docs/design.md §3.2), so an
 * untrained model leaves every state unchanged.
 */
export function createParams(config: Pick<NcaConfig, 'channels' | 'hidden'> & Partial<Pick<NcaConfig, 'laplacian'>>, rng: Rng): NcaParams {
  const inputs = perceptionFilters(config) * config.channels;
  const limit = Math.sqrt(6 / (inputs + config.hidden));
  const dense1Weight = new Float32Array(inputs * config.hidden);
  for (let i = 0; i < dense1Weight.length; i++) {
    dense1Weight[i] = (rng.next() * 2 - 1) * limit;
  }
  return {
    dense1Weight,
    dense1Bias: new Float32Array(config.hidden),
    dense2Weight: new Float32Array(config.hidden * config.channels),
    dense2Bias: new Float32Array(config.channels),
  };
}
