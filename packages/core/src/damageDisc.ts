import type { GridShape } from './seed.ts';
import type { DamageRadius } from './presets.ts';
import type { Rng } from './rng.ts';

/** A disc in grid coordinates (cell centres at integer x, y). */
export interface Disc {
  x: number;
  y: number;
  radius: number;
}

/** Whether the cell at (x, y) is inside the disc: its distance to the centre is below the radius. */
export function insideDisc(disc: Disc, x: number, y: number): boolean {
  return (x - disc.x) ** 2 + (y - disc.y) ** 2 < disc.radius * disc.radius;
}

/** A disc centre uniform in the middle half of the grid (x drawn first, then y). */
export function randomCentre(grid: Pick<GridShape, 'width' | 'height'>, rng: Rng): { x: number; y: number } {
  return { x: grid.width * (0.25 + 0.5 * rng.next()), y: grid.height * (0.25 + 0.5 * rng.next()) };
}

/** Training's damage (docs/design.md §4): the centre as randomCentre, then a radius uniform in `radius` x the shorter side. */
export function randomDisc(grid: Pick<GridShape, 'width' | 'height'>, rng: Rng, radius: DamageRadius): Disc {
  const centre = randomCentre(grid, rng);
  const side = Math.min(grid.width, grid.height);
  return { ...centre, radius: side * (radius.min + (radius.max - radius.min) * rng.next()) };
}

/** Zeroes every channel of the cells inside `disc`, in place, on one [H, W, C] state array. */
export function eraseDisc(state: Float32Array, grid: GridShape, disc: Disc): void {
  for (let y = 0; y < grid.height; y++) {
    for (let x = 0; x < grid.width; x++) {
      if (insideDisc(disc, x, y)) {
        state.fill(0, (y * grid.width + x) * grid.channels, (y * grid.width + x + 1) * grid.channels);
      }
    }
  }
}
