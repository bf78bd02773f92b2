/** A 3x3 cross-correlation kernel, rows are y-1, y, y+1 and columns x-1, x, x+1 (docs/design.md §3.1). */
export type Kernel3x3 = readonly [readonly [number, number, number], readonly [number, number, number], readonly [number, number, number]];

export function identityKernel(): Kernel3x3 {
  return [
    [0, 0, 0],
    [0, 1, 0],
    [0, 0, 0],
  ];
}

/** Sobel-x: outer([1, 2, 1], [-1, 0, 1]) * scale. */
export function sobelX(scale: number): Kernel3x3 {
  const rows = [1, 2, 1] as const;
  const cols = [-1, 0, 1] as const;
  return rows.map((r) => cols.map((c) => r * c * scale + 0)) as unknown as Kernel3x3;
}

/** Sobel-y: the transpose of Sobel-x. */
export function sobelY(scale: number): Kernel3x3 {
  const x = sobelX(scale);
  return [0, 1, 2].map((i) => [0, 1, 2].map((j) => x[j]![i]!)) as unknown as Kernel3x3;
}

/** The Laplacian of the texture model (docs/design.md §3.6): [[1, 2, 1], [2, -12, 2], [1, 2, 1]] * scale. */
export function laplacianKernel(scale: number): Kernel3x3 {
  return [
    [scale, 2 * scale, scale],
    [2 * scale, -12 * scale, 2 * scale],
    [scale, 2 * scale, scale],
  ];
}

/**
 * The three filters of docs/design.md §3.1 with the rotation folded in (it is linear in the kernels):
 * [row][column][filter], filters identity, x-gradient, y-gradient.
 */
/**
 * Every perception filter of a config for the rollout kernel: [row][column][filter] with four
 * filters, the rotated three of `rotatedKernels` and the Laplacian (zeros where the config has none).
 */
export function perceptionKernels(config: { sobelScale: number; angle: number; laplacian?: boolean }): number[][][] {
  const lap = laplacianKernel(config.sobelScale);
  return rotatedKernels(config).map((row, i) => row.map((taps, j) => [...taps, config.laplacian ? lap[i]![j]! : 0]));
}

export function rotatedKernels(config: { sobelScale: number; angle: number }): number[][][] {
  const kx = sobelX(config.sobelScale);
  const ky = sobelY(config.sobelScale);
  const cos = Math.cos(config.angle);
  const sin = Math.sin(config.angle);
  const id = identityKernel();
  return [0, 1, 2].map((i) => [0, 1, 2].map((j) => [id[i]![j]!, cos * kx[i]![j]! - sin * ky[i]![j]!, sin * kx[i]![j]! + cos * ky[i]![j]!]));
}
