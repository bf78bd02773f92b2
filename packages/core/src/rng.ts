/**
 * A small seedable random number generator (mulberry32). Its whole state is one uint32, so a
 * checkpoint can store it and a resumed run draws the same numbers.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] inclusive. */
  int(min: number, max: number): number;
  /** Sets out[i] to 1 where the i-th next() would be below p, else 0: the same draws in one loop. */
  bernoulli(out: Uint8Array, p: number): void;
  getState(): number;
  setState(state: number): void;
}

const INCREMENT = 0x6d2b79f5;

/** mulberry32's output for a state, as a uint32. */
function mix(state: number): number {
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + INCREMENT) >>> 0;
    return mix(s) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    // The fire draws of a rollout are millions per iteration: one loop over a local state, and
    // u32 < p * 2^32 is exactly u32 / 2^32 < p (both sides scale by a power of two).
    bernoulli: (out, p) => {
      const threshold = p * 4294967296;
      let state = s;
      for (let i = 0; i < out.length; i++) {
        state = (state + INCREMENT) >>> 0;
        out[i] = mix(state) < threshold ? 1 : 0;
      }
      s = state;
    },
    getState: () => s,
    setState: (state) => {
      s = state >>> 0;
    },
  };
}
