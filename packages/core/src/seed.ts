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
