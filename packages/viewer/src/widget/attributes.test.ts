import { describe, expect, it } from 'vitest';
import { parseFlag, parsePositive } from './attributes.ts';

describe('widget attributes', () => {
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
