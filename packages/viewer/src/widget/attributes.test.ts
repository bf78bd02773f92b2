import { describe, expect, it } from 'vitest';
import { cellGrid, parseAutoplay, parseCellSize, parseFlag, parseLoading, parsePositive, parseRender, parseStart } from './attributes.ts';

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

describe('cell-size', () => {
  it('reads whole numbers from 1 to 64, and fills a box with cells of that size', () => {
    expect([parseCellSize('3'), parseCellSize(' 8 '), parseCellSize('0'), parseCellSize('65'), parseCellSize('2.5'), parseCellSize(null)]).toEqual([
      3,
      8,
      null,
      null,
      null,
      null,
    ]);
    expect(cellGrid(1280, 800, 3)).toEqual({ width: 426, height: 266 });
    expect(cellGrid(5, 5, 4)).toEqual({ width: 3, height: 3 });
    expect(cellGrid(100_000, 600, 1)).toEqual({ width: 2048, height: 600 });
  });
});
