import { describe, expect, it } from 'vitest';
import { recordingName, recordingScale } from './recording.ts';

describe('recording', () => {
  it('scales the grid by a whole number to about 320 pixels', () => {
    expect(recordingScale(56, 56)).toBe(6);
    expect(recordingScale(72, 72)).toBe(4);
    expect(recordingScale(96, 64)).toBe(3);
    expect(recordingScale(2048, 2048)).toBe(1);
  });

  it('names the files after the model', () => {
    expect(recordingName('🦎 lizard')).toBe('lizard');
    expect(recordingName('ex3_1f98e: Lizard (regenerating)')).toBe('ex3-1f98e-lizard-regenerating');
    expect(recordingName('🦋')).toBe('nca');
  });
});
