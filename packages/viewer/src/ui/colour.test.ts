import { describe, expect, it } from 'vitest';
import { parseBackground } from './colour.ts';

describe('parseBackground', () => {
  it('reads names and hex colours as straight RGBA in 0..1', () => {
    expect(parseBackground('transparent')).toEqual([0, 0, 0, 0]);
    expect(parseBackground(' White ')).toEqual([1, 1, 1, 1]);
    expect(parseBackground('#ff0000')).toEqual([1, 0, 0, 1]);
    expect(parseBackground('#0f08')).toEqual([0, 1, 0, 0x88 / 255]);
    expect(parseBackground('#33669980')).toEqual([0x33 / 255, 0x66 / 255, 0x99 / 255, 0x80 / 255]);
  });

  it('returns null for anything else', () => {
    expect(parseBackground('rgb(1, 2, 3)')).toBeNull();
    expect(parseBackground('#12')).toBeNull();
    expect(parseBackground(null)).toBeNull();
  });
});
