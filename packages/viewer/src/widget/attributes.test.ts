import { describe, expect, it } from 'vitest';
import { parseAutoplay, parseFlag, parseLoading, parsePositive, parseRender, parseStart } from './attributes.ts';

describe('widget attributes', () => {
  it('reads numbers and flags', () => {
    expect(parsePositive('12', 8)).toBe(12);
    expect(parsePositive('-1', 8)).toBe(8);
    expect(parsePositive(null, 8)).toBe(8);
    expect(parseFlag('')).toBe(true);
    expect(parseFlag('false')).toBe(false);
    expect(parseFlag(null)).toBe(false);
  });

  it('reads the choices, an unknown or missing value as the default', () => {
    expect([parseStart(null), parseStart('seed'), parseStart(' SEED '), parseStart('grow')]).toEqual(['grown', 'seed', 'seed', 'grown']);
    expect([parseLoading(null), parseLoading('lazy'), parseLoading('soon')]).toEqual(['eager', 'lazy', 'eager']);
    expect([parseRender(null), parseRender('smooth'), parseRender('blurry')]).toEqual(['pixelated', 'smooth', 'pixelated']);
    expect([parseAutoplay(null), parseAutoplay(''), parseAutoplay('always'), parseAutoplay('false')]).toEqual(['off', 'on', 'always', 'off']);
  });
});
