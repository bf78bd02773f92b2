import { describe, expect, it } from 'vitest';
import { parseFlag, parseGridSize, parsePositive } from './attributes.ts';

describe('widget attributes', () => {
  it('reads grid-size as a square or W x H', () => {
    expect(parseGridSize('72')).toEqual({ width: 72, height: 72 });
    expect(parseGridSize(' 96x64 ')).toEqual({ width: 96, height: 64 });
    expect(parseGridSize('2')).toBeNull();
    expect(parseGridSize('big')).toBeNull();
    expect(parseGridSize(null)).toBeNull();
  });

  it('reads numbers and flags', () => {
    expect(parsePositive('12.5', 8)).toBe(12.5);
    expect(parsePositive('0', 8)).toBe(8);
    expect(parsePositive(null, 8)).toBe(8);
    expect(parseFlag('')).toBe(true);
    expect(parseFlag('autoplay')).toBe(true);
    expect(parseFlag('false')).toBe(false);
    expect(parseFlag(null)).toBe(false);
  });
});
