/**
 * The loss of each sample: the mean square error of its RGBA (channels 0..3) against the
 * target, squares summed in float64 and the mean rounded to float32. The wasm kernel computes
 * the same in C, the WebGPU route and the pool here, so a sample's loss has the same bits on
 * every route and after a resume.
 */
export function sampleLosses(states: Float32Array, target: Float32Array, count: number, cells: number, channels: number): Float32Array {
  const losses = new Float32Array(count);
  for (let sample = 0; sample < count; sample++) {
    let sum = 0;
    for (let cell = 0; cell < cells; cell++) {
      for (let ch = 0; ch < 4; ch++) {
        const e = Math.fround(states[(sample * cells + cell) * channels + ch]! - target[cell * 4 + ch]!);
        sum += e * e;
      }
    }
    losses[sample] = sum / (cells * 4);
  }
  return losses;
}
