import type { Rng } from './rng.ts';

/**
 * docs/design.md §3.3's fire draws for `count` cells, one byte each (1: the cell fires), in cell order.
 * Every fire mask of the project is drawn here, from our own RNG (not tf.random), so a run
 * repeats exactly on every backend, and training on any number of workers, or a viewer checked
 * against core, consumes the RNG identically.
 */
export function drawFire(rng: Rng, count: number, fireRate: number): Uint8Array {
  const fire = new Uint8Array(count);
  if (fireRate >= 1) {
    fire.fill(1);
  } else if (fireRate > 0) {
    rng.bernoulli(fire, fireRate);
  }
  return fire;
}
