import { describe, expect, it } from 'vitest';
import { identityKernel, sobelX, sobelY } from './kernels.ts';

describe('kernels', () => {
  it('identity has one centre tap', () => {
    expect(identityKernel()).toEqual([
      [0, 0, 0],
      [0, 1, 0],
      [0, 0, 0],
    ]);
  });

  it('sobelX is outer([1,2,1],[-1,0,1]) times the scale', () => {
    expect(sobelX(1 / 8)).toEqual([
      [-0.125, 0, 0.125],
      [-0.25, 0, 0.25],
      [-0.125, 0, 0.125],
    ]);
  });

  it('sobelY is the transpose of sobelX', () => {
    expect(sobelY(1)).toEqual([
      [-1, -2, -1],
      [0, 0, 0],
      [1, 2, 1],
    ]);
  });
});
