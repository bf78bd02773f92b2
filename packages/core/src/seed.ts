export interface GridShape {
  height: number;
  width: number;
  channels: number;
}

/** The seed as a flat array, for writing into a pool without touching a backend. */
export function seedArray(grid: GridShape, batch = 1, at?: { x: number; y: number }): Float32Array {
  const { height, width, channels } = grid;
  const x = at?.x ?? Math.floor(width / 2);
  const y = at?.y ?? Math.floor(height / 2);
  const data = new Float32Array(batch * height * width * channels);
  for (let n = 0; n < batch; n++) {
    const base = ((n * height + y) * width + x) * channels;
    data.fill(1, base + 3, base + channels);
  }
  return data;
}

/**
 * The state a run starts from, as the config says (docs/design.md §3.5, §3.6): the seed, or all
 * zeros for a texture model, whose symmetry only the random fire masks break.
 */
export function startArray(config: { start: 'seed' | 'zeros' }, grid: GridShape, batch = 1): Float32Array {
  return config.start === 'zeros' ? new Float32Array(batch * grid.height * grid.width * grid.channels) : seedArray(grid, batch);
}
