import { describe, expect, it } from 'vitest';
import { parseGridSize } from '@nca-studio/weights-format';
import { gridChoices, parseViewChoice, viewChoices } from './choices.ts';

describe('app choices', () => {
  it('offers the training size first, then larger grids', () => {
    expect(gridChoices(72, 72).map((c) => c.value)).toEqual(['72x72', '108x108', '144x144', '216x216', '288x288']);
    expect(gridChoices(96, 64, 300).map((c) => c.value)).toEqual(['96x64', '144x96', '192x128', '288x192']);
    // Each value reads back through the one size parser.
    expect(gridChoices(96, 64, 300).map((c) => parseGridSize(c.value))).toContainEqual({ width: 144, height: 96 });
  });

  it('shows hidden channels three at a time', () => {
    expect(viewChoices(16).map((c) => c.value)).toEqual(['colour', 'alpha', 'channels:4', 'channels:7', 'channels:10', 'channels:13']);
    // 12 channels: 4-6, 7-9, then 9-11 (the last triple overlaps rather than running off the end).
    expect(viewChoices(12).map((c) => c.value)).toEqual(['colour', 'alpha', 'channels:4', 'channels:7', 'channels:9']);
    expect(parseViewChoice('channels:7')).toEqual({ kind: 'channels', first: 7 });
    expect(parseViewChoice('alpha')).toEqual({ kind: 'alpha' });
    expect(parseViewChoice('colour')).toEqual({ kind: 'colour' });
  });
});
