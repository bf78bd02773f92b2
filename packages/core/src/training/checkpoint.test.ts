import { DEFAULT_CONFIG, MAX_TENSOR_ELEMENTS } from '@nca-studio/weights-format';
import { POOL_BYTES } from '../budget.ts';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../presets.ts';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, isCheckpointFile, type Checkpoint } from './checkpoint.ts';
import { freshTrainingState } from './trainingRun.ts';

describe('the checkpoint file', () => {
  it('holds any pool the budget admits, the regenerating recipe\'s included (85 M floats)', () => {
    expect(POOL_BYTES / 4).toBeLessThanOrEqual(MAX_TENSOR_ELEMENTS);
    for (const preset of Object.values(PRESETS)) {
      const { config, training } = preset;
      expect(training.pool * config.gridWidth * config.gridHeight * config.channels, preset.name).toBeLessThanOrEqual(MAX_TENSOR_ELEMENTS);
    }
  });

  const plan = {
    preset: 'quick',
    config: { ...DEFAULT_CONFIG, channels: 8, hidden: 16, gridWidth: 10, gridHeight: 12 },
    training: { ...PRESETS.quick.training, pool: 4, batch: 2 },
    seed: 3,
    target: { kind: 'picture' as const, name: 'drop.png' },
    targetName: 'drop',
    checkpointEvery: 5,
  };
  const target = Float32Array.from({ length: 10 * 12 * 4 }, (_, i) => (i % 7) / 7);
  const start: Checkpoint = { plan, ...freshTrainingState(plan, target), iteration: 9, losses: [0.5, 0.25], seconds: 1.5 };

  it('reads back exactly what was written', () => {
    const bytes = encodeCheckpoint(start);
    expect(isCheckpointFile(bytes)).toBe(true);
    const back = decodeCheckpoint(bytes, 'mem');
    expect(back).toEqual(start);
  });

  it('refuses a damaged file and a model file with one message', () => {
    const bytes = encodeCheckpoint(start);
    const cut = bytes.slice(0, bytes.length - 100);
    expect(() => decodeCheckpoint(cut, 'cut.safetensors')).toThrow(CheckpointError);
    expect(() => decodeCheckpoint(cut, 'cut.safetensors')).toThrow(/cut.safetensors is damaged/);
    expect(isCheckpointFile(new Uint8Array([1, 2, 3]))).toBe(false);
  });
});
